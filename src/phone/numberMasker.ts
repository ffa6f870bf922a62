/**
 * Masking a verification's own numbers wherever they turn up in text that
 * the library did not write: a provider's error message (`The 'To' number
 * +14255550100 is not reachable`), a store's error, a field a provider added
 * to an event. The numbers are known, so each is found in any way it may be
 * written — `+14255550100`, `1-425-555-0100`, `(425) 555-0100`,
 * `4255550100`, `020 7946 0000` — and replaced by its masked form.
 *
 * @module
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { TargetInput } from '../machine/types.js';
import { InvalidPhoneNumberError } from './errors.js';
import { maskPhoneNumber } from './maskPhoneNumber.js';
import { parsePhoneTarget } from './parsePhoneTarget.js';
import { recentResults } from './recentResults.js';

// What may stand between the digits of a written number: spaces (any), ( ) . - / and dashes.
const SEPARATORS = '[\\s().\\-/\u2010-\u2015]*';
const spaced = (digits: string): string => digits.split('').join(SEPARATORS);

/**
 * Masks known numbers in any text or JSON value.
 *
 * @example
 * ```ts
 * const masker = createNumberMasker(['(425) 555-0100'], 'US');
 * masker.maskText('call to 1-425-555-0100 failed'); // 'call to +1 425 ••• 0100 failed'
 * ```
 */
export interface NumberMasker {
  /** Adds a number to mask, in E.164 or as typed. */
  add(number: TargetInput): void;
  /** The text with every known number masked. */
  maskText(text: string): string;
  /** A copy of a JSON value with every known number masked in every string in it. */
  maskStrings<T>(value: T): T;
  /**
   * The same masking, for a value the caller has just made and hands on:
   * arrays and objects holding nothing to mask are kept, not copied (a
   * verification's result usually holds none once its targets are masked).
   */
  maskStringsInFreshValue<T>(value: T): T;
}

/** The E.164 form of a number as typed, also when no numbering plan assigns it; `null` when it has none. */
function toE164(number: TargetInput, defaultCountry: string | null): string | null {
  try {
    return parsePhoneTarget(number, { defaultCountry }).e164;
  } catch (error) {
    if (!(error instanceof InvalidPhoneNumberError)) throw error;
    // An unassigned number is never dialled, but may still be named in a message; read it leniently.
    const text = typeof number === 'string' ? number : number?.number;
    if (typeof text !== 'string') return null;
    return parsePhoneNumberFromString(text)?.number ?? null;
  }
}

/** The calling code and national number of a number in E.164: parsed once while recent, leniently when not assigned. */
function readDigits(e164: string): { countryCallingCode: string; nationalNumber: string } | null {
  try {
    const { callingCode } = parsePhoneTarget(e164);
    return { countryCallingCode: callingCode, nationalNumber: e164.slice(1 + callingCode.length) };
  } catch (error) {
    if (!(error instanceof InvalidPhoneNumberError)) throw error;
    const parsed = parsePhoneNumberFromString(e164);
    return parsed === undefined
      ? null
      : { countryCallingCode: parsed.countryCallingCode, nationalNumber: parsed.nationalNumber };
  }
}

const HAS_DIGIT = /[0-9]/;

/** How one number is found in a text, and what replaces it. */
interface NumberPattern {
  nationalNumber: string;
  source: string;
  /** Compiled when a text first holds the number's digits; shared, since `replace` resets a global pattern. */
  pattern: RegExp | null;
  masked: string;
}

/** A number's pattern, by its E.164 form, while recent: every verification of a number builds the same one. */
const recentPatterns = recentResults<NumberPattern | null>();

function patternOf(e164: string): NumberPattern | null {
  const parsed = readDigits(e164);
  if (parsed === null) return null;
  const callingCode = `(?:(?:\\+|00)${SEPARATORS})?${spaced(parsed.countryCallingCode)}${SEPARATORS}`;
  // Long numbers also without their calling code, and with a trunk 0: +44 (0)20 …, 020 …, (425) 555-….
  const prefix = parsed.nationalNumber.length < 6 ? callingCode : `(?:${callingCode})?(?:\\(?0\\)?${SEPARATORS})?`;
  return {
    nationalNumber: parsed.nationalNumber,
    source: `(?<![0-9])${prefix}(?:\\(\\s*)?${spaced(parsed.nationalNumber)}(?![0-9])`,
    pattern: null,
    masked: maskPhoneNumber(e164),
  };
}

/** `value` with `key` set to `inner`; a key named __proto__ stays a key, as with Object.fromEntries. */
function setKey(copy: Record<string, unknown>, key: string, inner: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(copy, key, { value: inner, enumerable: true, writable: true, configurable: true });
  else copy[key] = inner;
}

/**
 * Creates a masker for the numbers of a verification. Numbers whose national
 * part is under six digits are masked only where their calling code is
 * written too (`+247 40123`, `24740123`), so that ordinary figures in a
 * message are left alone.
 *
 * @example
 * ```ts
 * const masker = createNumberMasker(request.targets, request.defaultCountry ?? null);
 * log(masker.maskStrings({ message: error.message })); // no full number left
 * ```
 */
export function createNumberMasker(numbers: readonly TargetInput[], defaultCountry: string | null): NumberMasker {
  const masker = new KnownNumberMasker(defaultCountry);
  for (const number of numbers) masker.add(number);
  return masker;
}

/** The masker of {@link createNumberMasker}: its methods are shared by every masker, each holds its patterns. */
class KnownNumberMasker implements NumberMasker {
  private readonly patterns = new Map<string, NumberPattern>();

  constructor(private readonly defaultCountry: string | null) {}

  add(number: TargetInput): void {
    const e164 = toE164(number, this.defaultCountry);
    if (e164 === null || this.patterns.has(e164)) return;
    const pattern = recentPatterns.recall(e164, () => patternOf(e164));
    if (pattern !== null) this.patterns.set(e164, pattern);
  }

  maskText(text: string): string {
    // Most texts of a result (statuses, reasons, results) hold no digit at all.
    if (!HAS_DIGIT.test(text)) return text;
    let masked = text;
    // Only separators stand between a written number's digits: without its national digits in a row, no match.
    let digits = masked.replace(/[^0-9]/g, '');
    for (const entry of this.patterns.values()) {
      if (!digits.includes(entry.nationalNumber)) continue;
      entry.pattern ??= new RegExp(entry.source, 'g');
      masked = masked.replace(entry.pattern, entry.masked);
      digits = masked.replace(/[^0-9]/g, '');
    }
    return masked;
  }

  maskStrings<T>(value: T): T {
    return this.maskAll(value, true);
  }

  maskStringsInFreshValue<T>(value: T): T {
    return this.maskAll(value, false);
  }

  /** Masks every string in `value`: arrays and objects are copied all the way down, or only where something changed. */
  private maskAll<T>(value: T, copyAll: boolean): T {
    if (typeof value === 'string') return this.maskText(value) as T;
    if (Array.isArray(value)) {
      let copy: unknown[] | null = copyAll ? [...value] : null;
      for (let i = 0; i < value.length; i++) {
        const inner = this.maskAll(value[i], copyAll);
        if (inner === value[i]) continue;
        copy ??= [...value];
        copy[i] = inner;
      }
      return (copy ?? value) as T;
    }
    if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      let copy: Record<string, unknown> | null = copyAll ? { ...record } : null;
      for (const key of Object.keys(record)) {
        const inner = this.maskAll(record[key], copyAll);
        if (inner === record[key]) continue;
        copy ??= { ...record };
        setKey(copy, key, inner);
      }
      return (copy ?? value) as T;
    }
    return value;
  }
}
