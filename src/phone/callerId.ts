/**
 * Caller ID per destination country. Outside the US a caller ID is best
 * effort: carriers abroad may drop or replace a foreign number, and people
 * are likelier to answer a local one, so hosts configure a local number per
 * country with a default for the rest.
 *
 * @module
 */
import type { RequestIssue } from '../errors.js';
import { chooseCallerId } from '../machine/context.js';
import type { CallerIdConfig } from '../machine/types.js';
import { isRecord, unknownKeys } from '../request/normalizeRequest.js';
import { toSupportedCountry } from './countryCodes.js';
import { InvalidPhoneConfigurationError, InvalidPhoneNumberError } from './errors.js';
import { parsePhoneTarget } from './parsePhoneTarget.js';

/**
 * Checked caller IDs in E.164: one per destination country, and a default
 * (absent when there is none). It is a `CallerIdConfig`, so it can be given
 * to a verification request as its `callerId`.
 *
 * @example
 * ```ts
 * const callerId: CallerIdChoice = { default: '+14255550000', byCountry: { GB: '+442079460000' } };
 * createVerificationActor({ targets, callerId });
 * ```
 */
export interface CallerIdChoice {
  default?: string;
  byCountry: Record<string, string>;
}

function checkCallerIdNumber(number: unknown, path: string, issues: RequestIssue[]): string | null {
  if (typeof number !== 'string') {
    issues.push({ path, message: 'must be a phone number in international form' });
    return null;
  }
  try {
    const target = parsePhoneTarget(number);
    if (target.extension !== null) {
      issues.push({ path, message: 'a caller ID cannot have an extension' });
      return null;
    }
    return target.e164;
  } catch (error) {
    if (!(error instanceof InvalidPhoneNumberError)) throw error;
    issues.push({ path, message: `${error.maskedNumber} is not a valid number (${error.reason})` });
    return null;
  }
}

/**
 * Checks a caller ID setting and writes every number in E.164. Country keys
 * are ISO 3166-1 alpha-2 codes in any case. Throws an
 * {@link InvalidPhoneConfigurationError} listing every problem.
 *
 * @example
 * ```ts
 * resolveCallerId({ default: '+1 425 555 0000', byCountry: { gb: '+44 20 7946 0000' } });
 * // { default: '+14255550000', byCountry: { GB: '+442079460000' } }
 * resolveCallerId(undefined); // { byCountry: {} }
 * ```
 */
export function resolveCallerId(config: CallerIdConfig | undefined, path = 'callerId'): CallerIdChoice {
  const issues: RequestIssue[] = [];
  const byCountry: Record<string, string> = {};
  let defaultE164: string | null = null;
  if (typeof config === 'string') {
    defaultE164 = checkCallerIdNumber(config, path, issues);
  } else if (isRecord(config)) {
    unknownKeys(config, ['default', 'byCountry'], path, issues);
    if (config.default !== undefined) defaultE164 = checkCallerIdNumber(config.default, `${path}.default`, issues);
    const perCountry: unknown = config.byCountry ?? {};
    if (!isRecord(perCountry)) {
      issues.push({ path: `${path}.byCountry`, message: 'must map ISO country codes to phone numbers' });
    } else {
      for (const [key, number] of Object.entries(perCountry)) {
        const country = toSupportedCountry(key, `${path}.byCountry.${key}`, issues);
        const e164 = checkCallerIdNumber(number, `${path}.byCountry.${key}`, issues);
        if (country !== null && Object.hasOwn(byCountry, country)) {
          issues.push({ path: `${path}.byCountry.${key}`, message: `names ${country} a second time` });
        } else if (country !== null && e164 !== null) {
          byCountry[country] = e164;
        }
      }
    }
  } else if (config !== undefined) {
    issues.push({ path, message: 'must be a phone number or { default?, byCountry? }' });
  }
  if (issues.length > 0) throw new InvalidPhoneConfigurationError(issues);
  return defaultE164 === null ? { byCountry } : { default: defaultE164, byCountry };
}

/**
 * The caller ID to present on a call to `country`: the country's own, else
 * the default, else `null` (the provider's default).
 *
 * @example
 * ```ts
 * const callerId = resolveCallerId({ default: '+14255550000', byCountry: { GB: '+442079460000' } });
 * selectCallerId(callerId, 'GB');  // '+442079460000'
 * selectCallerId(callerId, 'FR');  // '+14255550000'
 * selectCallerId(callerId, null);  // '+14255550000' (non-geographic destination)
 * ```
 */
export function selectCallerId(callerId: CallerIdConfig, country: string | null): string | null {
  return chooseCallerId(typeof callerId === 'string' ? { default: callerId } : callerId, country);
}
