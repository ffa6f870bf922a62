/**
 * Masking phone numbers for records, events, logs and error messages: enough
 * to tell a person's numbers apart and see where a call went, not enough to
 * dial.
 *
 * @module
 */
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { E164_NUMBER } from '../machine/checks.js';
import { splitExtension } from './extension.js';
import { replaceDoubleZeroPrefix } from './internationalPrefix.js';
import { recentlyParsed } from './parsePhoneTarget.js';
import { recentKey, recentResults } from './recentResults.js';
import { isTelUri, readTelUri } from './telUri.js';
import { toAsciiDigits } from './writtenDigits.js';

/**
 * What stands for the hidden digits. Always three dots, so the length of the number is not revealed.
 *
 * @example
 * ```ts
 * maskPhoneNumber('+14255550100').includes(MASK); // true
 * ```
 */
export const MASK = '•••';

/**
 * Options of {@link maskPhoneNumber}.
 *
 * @example
 * ```ts
 * maskPhoneNumber('020 7946 0000', { defaultCountry: 'GB' }); // '+44 20 ••• 0000'
 * ```
 */
export interface MaskPhoneNumberOptions {
  /** ISO 3166-1 alpha-2 country for numbers written without a country code. */
  defaultCountry?: string | null;
}

// What maskPhoneNumber returns: `+1 425 ••• 0100`, `+44 ••• 3456`, `+1 •••`, `•••00`, `•••`.
const MASKED = /^(?:\+\d{1,3} (?:\d{1,5} )?)?•••(?: ?\d{1,4})?$/;

const MAX_TAIL_DIGITS = 4;
const MIN_HIDDEN_DIGITS = 3;
const MIN_HIDDEN_SHARE = 0.3;

/**
 * Masks the digits of a national number: the last four stay, and the first
 * group (as the numbering plan writes it) when it fits, but never so many
 * that fewer than three digits, or fewer than 30 % of them, are hidden.
 */
function maskNationalNumber(nationalNumber: string, firstGroup: string): { head: string; tail: string } {
  const length = nationalNumber.length;
  const hidden = Math.max(MIN_HIDDEN_DIGITS, Math.ceil(length * MIN_HIDDEN_SHARE));
  const tailLength = Math.max(0, Math.min(MAX_TAIL_DIGITS, length - hidden));
  const headFits = firstGroup.length <= length - tailLength - hidden && nationalNumber.startsWith(firstGroup);
  return {
    head: headFits ? firstGroup : '',
    tail: nationalNumber.slice(length - tailLength),
  };
}

const join = (...parts: string[]): string => parts.filter((part) => part !== '').join(' ');

/**
 * Masks a phone number, typed or as a `tel:` URI: country code, first group
 * (when short enough), hidden middle, last four digits. The extension is left out. Text that is
 * not a phone number keeps at most its last two digits. A number already
 * masked is returned as it is. The phone module's errors carry only numbers
 * masked this way.
 *
 * @example
 * ```ts
 * maskPhoneNumber('+14255550100');                          // '+1 425 ••• 0100'
 * maskPhoneNumber('+44 20 7946 0000 x12');                  // '+44 20 ••• 0000'
 * maskPhoneNumber('(425) 555-0100', { defaultCountry: 'US' }); // '+1 425 ••• 0100'
 * maskPhoneNumber('not a number');                          // '•••'
 * ```
 */
export function maskPhoneNumber(number: string, options: MaskPhoneNumberOptions = {}): string {
  // Masking never throws: options that are not an object are none.
  const country = (typeof options === 'object' && options !== null ? options.defaultCountry : null) ?? null;
  if (typeof number !== 'string') return computeMask(number, country);
  return recentMasks.recall(recentKey(number, country), () => computeMask(number, country));
}

/** Masked numbers, by the key of the number as written. */
const recentMasks = recentResults<string>();

/** The masked form of a number in E.164 that was parsed as a target recently (a number check read it); else `null`. */
function maskRecentlyParsed(number: string): string | null {
  // Only a parse already made: parsing here would mask the number again when it is no number.
  const target = recentlyParsed(number);
  if (target === undefined) return null;
  const callingCode = `+${target.callingCode}`;
  const firstGroup = /^\d+/.exec(target.international.slice(callingCode.length).trim())?.[0] ?? '';
  const { head, tail } = maskNationalNumber(target.e164.slice(callingCode.length), firstGroup);
  return join(callingCode, head, MASK, tail);
}

function computeMask(number: string, defaultCountryOption: string | null): string {
  if (typeof number === 'string' && E164_NUMBER.test(number)) {
    const masked = maskRecentlyParsed(number);
    if (masked !== null) return masked;
  }
  const options: MaskPhoneNumberOptions = { defaultCountry: defaultCountryOption };
  // Masking twice changes nothing: a record masked once may pass through another masking step.
  if (typeof number === 'string' && MASKED.test(number)) return number;
  const uri = typeof number === 'string' && isTelUri(number) ? readTelUri(number) : null;
  // Read as parsePhoneTarget reads it: other digits than ASCII count outside a tel: URI.
  const written = uri?.ok === true ? uri.number : typeof number === 'string' ? toAsciiDigits(number) : number;
  const text = typeof written === 'string' ? splitExtension(written).number : '';
  // Masking never throws: a default country that is not text is no country.
  const country = typeof options.defaultCountry === 'string' ? options.defaultCountry.toUpperCase() : undefined;
  const defaultCountry: CountryCode | undefined =
    country !== undefined && isSupportedCountry(country) ? country : undefined;
  const candidates = [parsePhoneNumberFromString(text, { defaultCountry, extract: false })];
  const international = replaceDoubleZeroPrefix(text);
  if (international !== null) candidates.push(parsePhoneNumberFromString(international, { extract: false }));
  const parsed = candidates.find((candidate) => candidate?.isValid()) ?? candidates.find((c) => c !== undefined);
  if (parsed !== undefined) {
    const callingCode = `+${parsed.countryCallingCode}`;
    const grouped = parsed.isValid() ? parsed.formatInternational().slice(callingCode.length).trim() : '';
    const firstGroup = /^\d+/.exec(grouped)?.[0] ?? '';
    const { head, tail } = maskNationalNumber(parsed.nationalNumber, firstGroup);
    return join(callingCode, head, MASK, tail);
  }
  const digits = text.replace(/\D/g, '');
  return digits.length >= 6 ? `${MASK}${digits.slice(-2)}` : MASK;
}
