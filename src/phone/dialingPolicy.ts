/**
 * The dialling policy: which numbers the library calls at all. Toll fraud
 * makes a verification endpoint call numbers that pay the attacker
 * (premium-rate, shared-cost, personal numbers, ranges of expensive networks
 * and countries), so those are refused before anything is dialled.
 *
 * @module
 */
import type { RequestIssue } from '../errors.js';
import type { CallerIdConfig } from '../machine/types.js';
import { optionNames, unknownOptionIssues } from '../optionNames.js';
import { type CallerIdChoice, resolveCallerId } from './callerId.js';
import { toSupportedCountry } from './countryCodes.js';
import { InvalidPhoneConfigurationError } from './errors.js';
import { HIGH_RISK_DESTINATIONS } from './highRiskDestinations.js';
import { PHONE_NUMBER_TYPES, type PhoneNumberType, type PhoneTarget } from './parsePhoneTarget.js';

/**
 * A dialling policy as a host writes it; every field is optional.
 *
 * @example
 * ```ts
 * const options: DialingPolicyOptions = {
 *   refuseHighRiskDestinations: true,
 *   blockedCountries: ['RU'],
 *   refusedTypes: [...DEFAULT_REFUSED_TYPES, 'UAN'],
 *   callerId: { default: '+14255550000', byCountry: { GB: '+442079460000' } },
 * };
 * ```
 */
export interface DialingPolicyOptions {
  /** Number types never dialled. Default {@link DEFAULT_REFUSED_TYPES}: premium-rate, shared-cost, personal, pager and voicemail. */
  refusedTypes?: readonly PhoneNumberType[];
  /**
   * When given, only numbers of these countries (ISO 3166-1 alpha-2) are
   * dialled; a country named here is dialled even if the high-risk
   * destinations preset lists it, but not if `blockedCountries` names it. An
   * allow-list that is empty, or holds only blocked countries, is refused.
   */
  allowedCountries?: readonly string[] | null;
  /** Countries never dialled, whatever else the policy says. */
  blockedCountries?: readonly string[];
  /**
   * Refuse the countries of {@link HIGH_RISK_DESTINATIONS}, known for
   * international revenue-share fraud (rule `high-risk-destination`).
   * Default `false`: it also refuses the legitimate users there. The block-list
   * wins over it; a country named in `allowedCountries` is exempt from it.
   */
  refuseHighRiskDestinations?: boolean;
  /**
   * Whether numbers of no country may be dialled: international freephone
   * (`+800`), satellite (`+870`, `+881`), global networks (`+882`, `+883`).
   * Default `false`: these ranges cost much and are favourites of toll fraud.
   */
  allowNonGeographic?: boolean;
  /** Caller ID to present: one number, or one per destination country with a default. */
  callerId?: CallerIdConfig;
}

/**
 * A checked dialling policy with every default filled in. Plain JSON.
 *
 * @example
 * ```ts
 * const policy: DialingPolicy = resolveDialingPolicy({ blockedCountries: ['CU'] });
 * ```
 */
export interface DialingPolicy {
  refusedTypes: PhoneNumberType[];
  /** `null`: every country not blocked. */
  allowedCountries: string[] | null;
  blockedCountries: string[];
  allowNonGeographic: boolean;
  refuseHighRiskDestinations: boolean;
  callerId: CallerIdChoice;
}

/**
 * Number types refused unless the policy says otherwise: those that pay
 * their owner per minute (premium-rate, shared-cost, and personal numbers
 * such as UK 070, which forward anywhere and are a staple of toll fraud), and
 * those no person can answer with a key press (pagers, voicemail platforms),
 * which can only cost money. UAN and VoIP numbers are dialled: they are
 * charged like fixed lines and are many users' real numbers.
 *
 * @example
 * ```ts
 * createNumberCheck({ refusedTypes: [...DEFAULT_REFUSED_TYPES, 'UAN'] });
 * // Twilio's test numbers (+1 500 555 …) are US personal numbers:
 * createNumberCheck({ refusedTypes: DEFAULT_REFUSED_TYPES.filter((type) => type !== 'PERSONAL_NUMBER') });
 * ```
 */
export const DEFAULT_REFUSED_TYPES: readonly PhoneNumberType[] = Object.freeze([
  'PREMIUM_RATE',
  'SHARED_COST',
  'PERSONAL_NUMBER',
  'PAGER',
  'VOICEMAIL',
] as const);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The options a dialling policy knows. */
const POLICY_OPTIONS = optionNames<DialingPolicyOptions>({
  refusedTypes: true,
  allowedCountries: true,
  blockedCountries: true,
  allowNonGeographic: true,
  refuseHighRiskDestinations: true,
  callerId: true,
});

/**
 * The policy used when none is given: the {@link DEFAULT_REFUSED_TYPES} and
 * non-geographic numbers refused, every country allowed, no caller ID.
 *
 * @example
 * ```ts
 * judgeDialingPolicy(parsePhoneTarget('+14255550100'), DEFAULT_DIALING_POLICY); // { allowed: true }
 * ```
 */
export const DEFAULT_DIALING_POLICY: Readonly<DialingPolicy> = deepFreeze(resolveDialingPolicy());

/**
 * The rule of a dialling policy that refused a number: the number type in
 * kebab case, or a rule about where the number is.
 *
 * @example
 * ```ts
 * const verdict = judgeDialingPolicy(target, policy);
 * if (!verdict.allowed && verdict.rule === 'premium-rate') alertFraudTeam();
 * ```
 */
export type DialingRule =
  | 'premium-rate'
  | 'shared-cost'
  | 'toll-free'
  | 'voip'
  | 'personal-number'
  | 'pager'
  | 'uan'
  | 'voicemail'
  | 'mobile'
  | 'fixed-line'
  | 'fixed-line-or-mobile'
  | 'non-geographic'
  | 'country-blocked'
  | 'country-not-allowed'
  | 'high-risk-destination';

/**
 * The verdict of a dialling policy on one number.
 *
 * @example
 * ```ts
 * const verdict: DialingVerdict = judgeDialingPolicy(parsePhoneTarget('+44 909 876 5432'), DEFAULT_DIALING_POLICY);
 * // { allowed: false, rule: 'premium-rate' }
 * ```
 */
export type DialingVerdict = { allowed: true } | { allowed: false; rule: DialingRule };

/**
 * The rule that refuses numbers of a type, e.g. `premium-rate` for `PREMIUM_RATE`.
 *
 * @example
 * ```ts
 * toDialingRule('SHARED_COST'); // 'shared-cost'
 * ```
 */
export function toDialingRule(type: PhoneNumberType): DialingRule {
  return type.toLowerCase().replaceAll('_', '-') as DialingRule;
}

function checkCountries(value: unknown, path: string, issues: RequestIssue[]): string[] {
  if (!Array.isArray(value)) {
    issues.push({ path, message: 'must be a list of ISO 3166-1 alpha-2 country codes' });
    return [];
  }
  const countries = value.map((country, i) => toSupportedCountry(country, `${path}.${i}`, issues));
  return [...new Set(countries.filter((country): country is string => country !== null))];
}

/**
 * Checks a dialling policy and fills in its defaults. Throws an
 * {@link InvalidPhoneConfigurationError} listing every problem.
 *
 * @example
 * ```ts
 * const policy = resolveDialingPolicy({ allowedCountries: ['us', 'CA'], callerId: '+14255550000' });
 * policy.allowedCountries; // ['US', 'CA']
 * policy.refusedTypes;     // ['PREMIUM_RATE', 'SHARED_COST', 'PERSONAL_NUMBER', 'PAGER', 'VOICEMAIL']
 * ```
 */
export function resolveDialingPolicy(options: DialingPolicyOptions = {}): DialingPolicy {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidPhoneConfigurationError([{ path: '', message: 'a dialling policy must be an object' }]);
  }
  const issues: RequestIssue[] = [];
  issues.push(...unknownOptionIssues(options as Record<string, unknown>, POLICY_OPTIONS));

  let refusedTypes = [...DEFAULT_REFUSED_TYPES];
  if (options.refusedTypes !== undefined) {
    if (!Array.isArray(options.refusedTypes)) {
      issues.push({ path: 'refusedTypes', message: 'must be a list of number types such as PREMIUM_RATE' });
    } else {
      refusedTypes = [];
      options.refusedTypes.forEach((type: unknown, i) => {
        if (PHONE_NUMBER_TYPES.includes(type as PhoneNumberType)) refusedTypes.push(type as PhoneNumberType);
        else issues.push({ path: `refusedTypes.${i}`, message: `must be one of ${PHONE_NUMBER_TYPES.join(', ')}` });
      });
    }
  }

  const countryIssues = issues.length;
  const allowedCountries =
    options.allowedCountries === undefined || options.allowedCountries === null
      ? null
      : checkCountries(options.allowedCountries, 'allowedCountries', issues);
  // An empty list as given; a list whose entries were all refused has its issues already.
  if (Array.isArray(options.allowedCountries) && options.allowedCountries.length === 0) {
    issues.push({
      path: 'allowedCountries',
      message: 'an empty allow-list refuses every number; leave it out instead',
    });
  }
  const blockedCountries =
    options.blockedCountries === undefined ? [] : checkCountries(options.blockedCountries, 'blockedCountries', issues);
  // Some overlap is the host's choice (the block-list wins); an allow-list left with nothing to dial is a mistake,
  // judged only when every country of both lists was read (an empty list is reported above).
  const leftToDial = allowedCountries?.filter((country) => !blockedCountries.includes(country));
  if (leftToDial?.length === 0 && issues.length === countryIssues) {
    issues.push({
      path: 'allowedCountries',
      message: 'every country of the allow-list is also in blockedCountries, so every number would be refused',
    });
  }

  for (const flag of ['allowNonGeographic', 'refuseHighRiskDestinations'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      issues.push({ path: flag, message: 'must be true or false' });
    }
  }

  let callerId: CallerIdChoice = { byCountry: {} };
  try {
    callerId = resolveCallerId(options.callerId);
  } catch (error) {
    if (!(error instanceof InvalidPhoneConfigurationError)) throw error;
    issues.push(...error.issues);
  }

  if (issues.length > 0) throw new InvalidPhoneConfigurationError(issues);
  return {
    refusedTypes: [...new Set(refusedTypes)],
    allowedCountries,
    blockedCountries,
    allowNonGeographic: options.allowNonGeographic === true,
    refuseHighRiskDestinations: options.refuseHighRiskDestinations === true,
    callerId,
  };
}

/**
 * Whether a policy lets a parsed number be dialled, and if not, the rule that
 * refuses it. The number type is judged first (a premium-rate number is
 * reported as such wherever it is), then the country: the block-list refuses;
 * an allow-list, when set, decides alone; otherwise the high-risk destinations
 * preset, when on, refuses the countries it lists.
 *
 * @example
 * ```ts
 * judgeDialingPolicy(parsePhoneTarget('+44 909 876 5432'), DEFAULT_DIALING_POLICY);
 * // { allowed: false, rule: 'premium-rate' }
 * ```
 */
export function judgeDialingPolicy(target: PhoneTarget, policy: DialingPolicy): DialingVerdict {
  if (target.type !== null && policy.refusedTypes.includes(target.type)) {
    return { allowed: false, rule: toDialingRule(target.type) };
  }
  if (target.nonGeographic && !policy.allowNonGeographic) return { allowed: false, rule: 'non-geographic' };
  const { country } = target;
  if (country !== null && policy.blockedCountries.includes(country)) return { allowed: false, rule: 'country-blocked' };
  if (policy.allowedCountries !== null) {
    // The host named these countries itself: that decision stands over the preset.
    const allowed = country !== null && policy.allowedCountries.includes(country);
    return allowed ? { allowed: true } : { allowed: false, rule: 'country-not-allowed' };
  }
  if (policy.refuseHighRiskDestinations && country !== null && HIGH_RISK_DESTINATIONS.includes(country)) {
    return { allowed: false, rule: 'high-risk-destination' };
  }
  return { allowed: true };
}
