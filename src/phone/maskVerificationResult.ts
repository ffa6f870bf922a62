/**
 * Masking the numbers of a verification's records before they are stored,
 * logged or shown, for hosts that keep no full numbers.
 *
 * @module
 */
import type { AttemptRecord, VerificationResult } from '../machine/outcomes.js';
import { maskPhoneNumber } from './maskPhoneNumber.js';

/**
 * A copy of an attempt record whose target numbers are masked. The country,
 * the extension, the caller ID (the host's own number) and everything else
 * stay as they were.
 *
 * @example
 * ```ts
 * maskAttemptRecord(attempt).target; // { input: '+1 425 ••• 0100', e164: '+1 425 ••• 0100', extension: null, country: 'US' }
 * ```
 */
export function maskAttemptRecord(attempt: AttemptRecord): AttemptRecord {
  const { target } = attempt;
  const options = { defaultCountry: target.country };
  return {
    ...attempt,
    target: {
      ...target,
      input: maskPhoneNumber(target.input, options),
      e164: target.e164 === null ? null : maskPhoneNumber(target.e164),
    },
  };
}

/**
 * A copy of a verification result with every attempt's target masked (see
 * {@link maskAttemptRecord}).
 *
 * @example
 * ```ts
 * const result = await runVerification(request, options);
 * auditLog.write(maskVerificationResult(result));
 * ```
 */
export function maskVerificationResult(result: VerificationResult): VerificationResult {
  return { ...result, attempts: result.attempts.map(maskAttemptRecord) };
}
