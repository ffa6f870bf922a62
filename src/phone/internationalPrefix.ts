/**
 * The `00` international prefix, written before the country code in most of
 * the world (`0044 20 7946 0000`).
 *
 * @module
 */

const LEADING_DOUBLE_ZERO = /^[\s().-]*0[\s().-]*0(?=[\s().-]*[1-9])/;
/** `00` standing apart from what follows it: `00 1 201 …`, `00-49-…`. */
const SEPARATED_DOUBLE_ZERO = /^[\s().-]*0[\s().-]*0[\s().-]+[1-9]/;

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

/**
 * The readings of a number in the order to try them: as written (where the
 * default country's own international prefixes count, carriers' included:
 * Australia's `0011`, South Korea's `002`), then with a leading `00` as the
 * international prefix. A `00` that stands apart (`00 1 201 555 0123`) is read
 * as the international prefix first: nobody writes a space inside a prefix, so
 * in Hong Kong that is `00` and the US, not the carrier prefix `001` and Egypt.
 *
 * @example
 * ```ts
 * readingOrder('00 1 201 555 0123', 'as written', '+1 201 555 0123'); // ['+1 201 555 0123', 'as written']
 * readingOrder('001 201 555 0123', 'as written', '+1 201 555 0123');  // ['as written', '+1 201 555 0123']
 * ```
 */
export function readingOrder<T>(number: string, asWritten: T, asInternational: T | null): T[] {
  if (asInternational === null) return [asWritten];
  return SEPARATED_DOUBLE_ZERO.test(number) ? [asInternational, asWritten] : [asWritten, asInternational];
}
