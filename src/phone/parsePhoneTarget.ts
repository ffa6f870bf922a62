/**
 * Reading a phone target as a person typed it into the E.164 number, country,
 * number type and extension a call needs, on libphonenumber-js's full
 * metadata (the number type is not in the smaller sets).
 *
 * @module
 */
import {
  type CountryCode,
  getCountryCallingCode,
  isSupportedCountry,
  ParseError,
  type PhoneNumber,
  parsePhoneNumberWithError,
  validatePhoneNumberLength,
} from 'libphonenumber-js/max';
import type { TargetInput } from '../machine/types.js';
import { InvalidPhoneNumberError, type InvalidPhoneNumberReason } from './errors.js';
import { isKeyableExtension, splitExtension } from './extension.js';
import { replaceDoubleZeroPrefix } from './internationalPrefix.js';
import { maskPhoneNumber } from './maskPhoneNumber.js';
import { recentKey, recentResults } from './recentResults.js';
import { isTelUri, readTelUri } from './telUri.js';
import { toAsciiDigits } from './writtenDigits.js';

/**
 * The kind of line a number belongs to, as the numbering plan says.
 * `FIXED_LINE_OR_MOBILE` is for plans that do not tell them apart (US, CA…).
 *
 * @example
 * ```ts
 * const type: PhoneNumberType | null = parsePhoneTarget('+44 7400 123456').type; // 'MOBILE'
 * ```
 */
export type PhoneNumberType =
  | 'FIXED_LINE'
  | 'MOBILE'
  | 'FIXED_LINE_OR_MOBILE'
  | 'TOLL_FREE'
  | 'PREMIUM_RATE'
  | 'SHARED_COST'
  | 'VOIP'
  | 'PERSONAL_NUMBER'
  | 'PAGER'
  | 'UAN'
  | 'VOICEMAIL';

/**
 * Every {@link PhoneNumberType}.
 *
 * @example
 * ```ts
 * PHONE_NUMBER_TYPES.filter((type) => type !== 'MOBILE'); // refuse all but mobiles
 * ```
 */
export const PHONE_NUMBER_TYPES: readonly PhoneNumberType[] = [
  'FIXED_LINE',
  'MOBILE',
  'FIXED_LINE_OR_MOBILE',
  'TOLL_FREE',
  'PREMIUM_RATE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
];

/**
 * A phone target ready to dial. Plain JSON.
 *
 * @example
 * ```ts
 * const target: PhoneTarget = parsePhoneTarget('+44 20 7946 0000 x12');
 * dial(target.e164, target.extension);
 * ```
 */
export interface PhoneTarget {
  /** The number in E.164, e.g. `+14255550100`. */
  e164: string;
  /** ISO 3166-1 alpha-2 country, or `null` for a non-geographic number (`+800`, `+870`, `+882`…). */
  country: string | null;
  /** Country calling code without `+`, e.g. `1` or `44`. */
  callingCode: string;
  /** Whether the number belongs to no country (international freephone, satellite, global networks). */
  nonGeographic: boolean;
  /** The kind of line, or `null` when the numbering plan does not say. */
  type: PhoneNumberType | null;
  /** Keys to send once answered (`,` = one second of pause), or `null`. */
  extension: string | null;
  /** National form, e.g. `(425) 555-0100`. */
  national: string;
  /** International form, e.g. `+1 425 555 0100`. */
  international: string;
}

/**
 * Options of {@link parsePhoneTarget}.
 *
 * @example
 * ```ts
 * parsePhoneTarget('020 7946 0000', { defaultCountry: 'GB' }).e164; // '+442079460000'
 * ```
 */
export interface ParsePhoneTargetOptions {
  /** ISO 3166-1 alpha-2 country for numbers written without a country code (`+` or `00`). */
  defaultCountry?: string | null;
}

/**
 * Longest text accepted as a phone number, extension included.
 *
 * @example
 * ```ts
 * parsePhoneTarget('1'.repeat(MAX_PHONE_NUMBER_LENGTH + 1)); // throws InvalidPhoneNumberError (NOT_A_NUMBER)
 * ```
 */
export const MAX_PHONE_NUMBER_LENGTH = 64;

const PARSE_ERROR_REASONS: readonly InvalidPhoneNumberReason[] = [
  'NOT_A_NUMBER',
  'INVALID_COUNTRY',
  'TOO_SHORT',
  'TOO_LONG',
  'INVALID_LENGTH',
];

const EXTENSION_RULE = 'an extension must be 1–16 keys (0–9, *, #), optionally after commas (one-second pauses)';

type Parsed = { text: string; parsed: PhoneNumber };
type Attempt = Parsed | { text: string; reason: InvalidPhoneNumberReason };

function parseCandidate(text: string, defaultCountry: CountryCode | undefined): Attempt {
  try {
    return { text, parsed: parsePhoneNumberWithError(text, { defaultCountry, extract: false }) };
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    const reason = PARSE_ERROR_REASONS.find((r) => r === error.message) ?? 'NOT_A_NUMBER';
    return { text, reason };
  }
}

/** Why a number that parsed is not valid: a length its plan never uses, or an unassigned range. */
function invalidReason(attempt: Parsed): InvalidPhoneNumberReason {
  const verdict = validatePhoneNumberLength(`+${attempt.parsed.countryCallingCode}${attempt.parsed.nationalNumber}`);
  return verdict ?? 'INVALID';
}

function planName(parsed: PhoneNumber | null, defaultCountry: CountryCode | undefined): string {
  if (parsed?.country !== undefined) return parsed.country;
  if (parsed !== null) return `+${parsed.countryCallingCode}`;
  return defaultCountry ?? 'its country';
}

function explain(
  reason: InvalidPhoneNumberReason,
  context: { text: string; plan: string; requestedCountry: string | null },
): string {
  switch (reason) {
    case 'NOT_A_NUMBER':
      return 'expected digits, optionally after + or 00, separated by spaces, dots, dashes or parentheses, with an optional extension at the end';
    case 'INVALID_COUNTRY':
      if (/^\s*\+/.test(context.text)) return 'its country code is not assigned to any country or network';
      if (context.requestedCountry === null) return 'it has no country code (+ or 00) and no default country was given';
      return `it has no country code (+ or 00) and the default country ${context.requestedCountry} is not a supported ISO 3166-1 code`;
    case 'TOO_SHORT':
      return `too few digits for a number of ${context.plan}`;
    case 'TOO_LONG':
      return `too many digits for a number of ${context.plan}`;
    case 'INVALID_LENGTH':
      return `no number of ${context.plan} has this many digits`;
    case 'INVALID':
      return `the digits are not in a range the numbering plan of ${context.plan} assigns`;
    case 'INVALID_EXTENSION':
      return EXTENSION_RULE;
    case 'INVALID_TEL_URI':
      return 'not a tel: URI as RFC 3966 writes one';
  }
}

function readInput(input: TargetInput): { text: string; separateExtension: string | null } | null {
  if (typeof input === 'string') return { text: input, separateExtension: null };
  if (typeof input !== 'object' || input === null || typeof input.number !== 'string') return null;
  if (input.extension !== undefined && typeof input.extension !== 'string') return null;
  return { text: input.number, separateExtension: input.extension?.trim() ?? null };
}

const toCountry = (value: string | null | undefined): CountryCode | undefined => {
  const upper = value?.trim().toUpperCase();
  return upper !== undefined && isSupportedCountry(upper) ? upper : undefined;
};

const withoutExtension = { formatExtension: (formatted: string) => formatted };

/**
 * Reads a phone target as a person typed it. Accepts `+` or `00` before the
 * country code, national numbers with a default country, spaces, dots,
 * dashes and parentheses, and an extension: `x1234`, `ext. 1234`,
 * `;ext=1234`, or commas as one-second pauses (`,,1234`, kept in the
 * extension as they are keyed). Also reads `tel:` URIs (RFC 3966):
 * `tel:+1-425-555-0100;ext=1234`, and local numbers with a global context,
 * `tel:555-0100;phone-context=+1-425`. Throws an {@link InvalidPhoneNumberError}
 * saying why when the number cannot be dialled (`INVALID_TEL_URI` for a
 * malformed URI).
 *
 * @example
 * ```ts
 * parsePhoneTarget('(425) 555-0100 ext. 1234', { defaultCountry: 'US' });
 * // { e164: '+14255550100', country: 'US', callingCode: '1', nonGeographic: false,
 * //   type: 'FIXED_LINE_OR_MOBILE', extension: '1234',
 * //   national: '(425) 555-0100', international: '+1 425 555 0100' }
 * parsePhoneTarget({ number: '0044 20 7946 0000', extension: ',,12' }).extension; // ',,12'
 * parsePhoneTarget('tel:+1-425-555-0100;ext=1234').extension;               // '1234'
 * ```
 */
export function parsePhoneTarget(input: TargetInput, options: ParsePhoneTargetOptions = {}): PhoneTarget {
  // `null` options are none, as `undefined` are.
  const country = options?.defaultCountry ?? null;
  if (typeof input !== 'string') return Object.freeze(readPhoneTarget(input, country));
  return recentTargets.recall(recentKey(input, country), () => Object.freeze(readPhoneTarget(input, country)));
}

/** Numbers that parsed, by {@link recentKey}. */
const recentTargets = recentResults<PhoneTarget>();

/** The parse of a number written with `+`, if it parsed recently. */
export function recentlyParsed(text: string): PhoneTarget | undefined {
  return recentTargets.peek(recentKey(text, null));
}

function readPhoneTarget(input: TargetInput, country: string | null): PhoneTarget {
  // A host may pass anything: a default country that is not text is reported by its type, as no supported code.
  const requestedCountry =
    typeof country === 'string'
      ? country.trim().toUpperCase() || null
      : country === null
        ? null
        : `(${typeof country})`;
  const defaultCountry = toCountry(requestedCountry);
  const read = readInput(input);
  const fail = (reason: InvalidPhoneNumberReason, text: string, parsed: PhoneNumber | null, explanation?: string) => {
    const plan = planName(parsed, defaultCountry);
    return new InvalidPhoneNumberError(
      reason,
      maskPhoneNumber(text, { defaultCountry }),
      explanation ?? explain(reason, { text, plan, requestedCountry }),
      parsed?.country ?? defaultCountry ?? null,
    );
  };

  if (read === null) throw fail('NOT_A_NUMBER', '', null, 'a target must be a number or { number, extension? }');
  if (read.text.length + (read.separateExtension?.length ?? 0) > MAX_PHONE_NUMBER_LENGTH) {
    throw fail('NOT_A_NUMBER', read.text, null, `longer than ${MAX_PHONE_NUMBER_LENGTH} characters`);
  }

  // No-break and thin spaces (pasted from documents) are spaces; libphonenumber-js reads only the plain one.
  let text = read.text.replace(/\s/g, ' ');
  let uriExtension: string | null = null;
  if (isTelUri(text)) {
    const uri = readTelUri(text);
    if (!uri.ok) throw fail('INVALID_TEL_URI', text, null, uri.problem);
    text = uri.number;
    uriExtension = uri.extension;
  } else {
    // A tel: URI keeps to the ASCII digits RFC 3966 allows; typed text may hold others.
    text = toAsciiDigits(text);
  }

  const split = splitExtension(text);
  let extension = uriExtension ?? split.extension;
  if (read.separateExtension !== null) {
    if (extension !== null) {
      throw fail('INVALID_EXTENSION', read.text, null, 'an extension is given both in the number and separately');
    }
    extension = read.separateExtension;
  }

  const asWritten = parseCandidate(split.number, defaultCountry);
  const international = replaceDoubleZeroPrefix(split.number);
  const asInternational = international === null ? null : parseCandidate(international, undefined);
  // Some national numbers start with 00 themselves (toll-free 00800… in BG, PA, QA), which libphonenumber-js
  // reads as the international prefix: as a last resort, read the digits as a number of the default country.
  const asNationalDigits =
    asInternational === null || defaultCountry === undefined
      ? null
      : parseCandidate(`+${getCountryCallingCode(defaultCountry)} ${split.number}`, undefined);
  const chosen = [asWritten, asInternational, asNationalDigits].find(
    (attempt): attempt is Parsed => attempt !== null && 'parsed' in attempt && attempt.parsed.isValid(),
  );

  if (chosen === undefined) {
    // With a leading 00 the person most likely meant the international prefix: report that reading.
    const reported = asInternational ?? asWritten;
    if ('parsed' in reported) throw fail(invalidReason(reported), reported.text, reported.parsed);
    throw fail(reported.reason, reported.text, null);
  }

  const { parsed } = chosen;
  if (parsed.ext !== undefined && parsed.ext !== '') {
    if (extension !== null) {
      throw fail('INVALID_EXTENSION', read.text, parsed, 'the number carries two extensions');
    }
    extension = parsed.ext;
  }
  if (extension !== null && !isKeyableExtension(extension)) throw fail('INVALID_EXTENSION', read.text, parsed);

  return {
    e164: parsed.number,
    country: parsed.country ?? null,
    callingCode: parsed.countryCallingCode,
    nonGeographic: parsed.isNonGeographic(),
    type: parsed.getType() ?? null,
    extension,
    national: parsed.formatNational(withoutExtension),
    international: parsed.formatInternational(withoutExtension),
  };
}
