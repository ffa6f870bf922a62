/**
 * The number check the verification machine runs before every dial:
 * libphonenumber-js parsing plus the dialling policy.
 *
 * @module
 */
import type { NumberCheckInput, NumberCheckResult } from '../machine/checks.js';
import { selectCallerId } from './callerId.js';
import {
  type DialingPolicy,
  type DialingPolicyOptions,
  judgeDialingPolicy,
  resolveDialingPolicy,
} from './dialingPolicy.js';
import { InvalidPhoneNumberError } from './errors.js';
import { parsePhoneTarget } from './parsePhoneTarget.js';

/**
 * A number check as the machine and the runtime take it.
 *
 * @example
 * ```ts
 * const checkNumber: NumberCheck = createNumberCheck();
 * ```
 */
export type NumberCheck = (input: NumberCheckInput) => NumberCheckResult;

/**
 * Creates the machine's number check from a dialling policy (defaults when
 * none is given: the `DEFAULT_REFUSED_TYPES` — premium-rate, shared-cost,
 * personal, pager, voicemail — and non-geographic numbers refused). The check never throws for a bad number: an unreadable or
 * unassigned one is `invalid-number` with the reason (`TOO_SHORT`, …), one the
 * policy refuses is `blocked-number` with the rule (`premium-rate`,
 * `country-not-allowed`, …). An accepted number carries the policy's caller ID
 * for its country, if the policy sets one. The policy itself is checked at once and throws
 * an `InvalidPhoneConfigurationError` when it cannot work.
 *
 * @example
 * ```ts
 * const checkNumber = createNumberCheck({ allowedCountries: ['US', 'GB'] });
 * checkNumber({ index: 0, target: '+44 909 876 5432', defaultCountry: null });
 * // { ok: false, result: 'blocked-number', rule: 'premium-rate' }
 * checkNumber({ index: 1, target: '(425) 555-0100 x12', defaultCountry: 'US' });
 * // { ok: true, e164: '+14255550100', extension: '12', country: 'US' }
 * const actor = createVerificationActor(request, { checkNumber });
 * ```
 */
export function createNumberCheck(policy: DialingPolicyOptions | DialingPolicy = {}): NumberCheck {
  const resolved = resolveDialingPolicy(policy);
  return (input) => {
    let target: ReturnType<typeof parsePhoneTarget>;
    try {
      target = parsePhoneTarget(input.target, { defaultCountry: input.defaultCountry });
    } catch (error) {
      if (error instanceof InvalidPhoneNumberError) return { ok: false, result: 'invalid-number', rule: error.reason };
      throw error;
    }
    const verdict = judgeDialingPolicy(target, resolved);
    if (!verdict.allowed) return { ok: false, result: 'blocked-number', rule: verdict.rule };
    const callerId = selectCallerId(resolved.callerId, target.country);
    return {
      ok: true,
      e164: target.e164,
      extension: target.extension,
      country: target.country,
      ...(callerId === null ? {} : { callerId }),
    };
  };
}
