/**
 * The `00` international prefix, written before the country code in most of
 * the world (`0044 20 7946 0000`).
 *
 * @module
 */

const LEADING_DOUBLE_ZERO = /^[\s().-]*0[\s().-]*0(?=[\s().-]*[1-9])/;

/**
 * The number with a leading `00` replaced by `+`, or `null` when it does not
 * start with `00` and a country code.
 *
 * @example
 * ```ts
 * replaceDoubleZeroPrefix('0044 20 7946 0000'); // '+44 20 7946 0000'
 * replaceDoubleZeroPrefix('020 7946 0000');     // null
 * ```
 */
export function replaceDoubleZeroPrefix(number: string): string | null {
  const match = LEADING_DOUBLE_ZERO.exec(number);
  return match === null ? null : `+${number.slice(match[0].length).trimStart()}`;
}
