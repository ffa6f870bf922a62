/**
 * Typed errors of phone-number handling: a number that cannot be dialled, a
 * verification refused by the abuse limits, and a phone configuration that
 * does not hold together. Messages carry masked numbers only.
 *
 * @module
 */
import { describeIssues, type RequestIssue, VoiceMfaError } from '../errors.js';

/**
 * Why a phone number was rejected. The first five are libphonenumber-js's own
 * verdicts; `INVALID` is a number of a plausible length that no numbering plan
 * assigns; `INVALID_EXTENSION` is an extension that cannot be keyed;
 * `INVALID_TEL_URI` is a `tel:` URI that does not follow RFC 3966.
 *
 * @example
 * ```ts
 * const reason: InvalidPhoneNumberReason = 'TOO_SHORT';
 * ```
 */
export type InvalidPhoneNumberReason =
  | 'NOT_A_NUMBER'
  | 'INVALID_COUNTRY'
  | 'TOO_SHORT'
  | 'TOO_LONG'
  | 'INVALID_LENGTH'
  | 'INVALID'
  | 'INVALID_EXTENSION'
  | 'INVALID_TEL_URI';

/**
 * Every {@link InvalidPhoneNumberReason}, for exhaustive checks.
 *
 * @example
 * ```ts
 * INVALID_PHONE_NUMBER_REASONS.includes(attempt.rule as InvalidPhoneNumberReason);
 * ```
 */
export const INVALID_PHONE_NUMBER_REASONS: readonly InvalidPhoneNumberReason[] = [
  'NOT_A_NUMBER',
  'INVALID_COUNTRY',
  'TOO_SHORT',
  'TOO_LONG',
  'INVALID_LENGTH',
  'INVALID',
  'INVALID_EXTENSION',
  'INVALID_TEL_URI',
];

/**
 * A phone number that cannot be dialled as written. `reason` is
 * machine-readable; the message says why in words and shows the number
 * masked, never in full.
 *
 * @example
 * ```ts
 * try { parsePhoneTarget('+1 425 555'); }
 * catch (error) {
 *   if (error instanceof InvalidPhoneNumberError) error.reason; // 'TOO_SHORT'
 * }
 * ```
 */
export class InvalidPhoneNumberError extends VoiceMfaError {
  readonly reason: InvalidPhoneNumberReason;
  /** The number as given, masked with `maskPhoneNumber`. */
  readonly maskedNumber: string;
  /** The country whose numbering plan was applied, when one was. */
  readonly country: string | null;

  constructor(reason: InvalidPhoneNumberReason, maskedNumber: string, explanation: string, country: string | null) {
    super('INVALID_PHONE_NUMBER', `Invalid phone number ${maskedNumber} (${reason}): ${explanation}`);
    this.reason = reason;
    this.maskedNumber = maskedNumber;
    this.country = country;
  }
}

/**
 * The abuse limit that refused a verification. Rate limits and the cool-down
 * pass with time; lockouts follow denials or a fraud report.
 *
 * @example
 * ```ts
 * const rule: AbuseRule = 'number-cooldown';
 * ```
 */
export type AbuseRule =
  | 'user-rate-limit'
  | 'number-rate-limit'
  | 'number-cooldown'
  | 'user-denial-lockout'
  | 'user-fraud-lockout'
  | 'number-fraud-lockout';

/**
 * A verification refused by the abuse limits before any call was placed.
 * `retryAfterMs` says when the same request could pass (a lockout can be
 * lifted sooner by an administrator).
 *
 * @example
 * ```ts
 * try { await guard.check({ userId: 'alice', numbers: ['+14255550100'] }); }
 * catch (error) {
 *   if (error instanceof VerificationRefusedError) reply(429, { rule: error.rule, retryAfterMs: error.retryAfterMs });
 * }
 * ```
 */
export class VerificationRefusedError extends VoiceMfaError {
  readonly rule: AbuseRule;
  /** Milliseconds until the rule would let the same request through. */
  readonly retryAfterMs: number;
  /** Whether the rule applies to the user or to one of the numbers. */
  readonly subject: 'user' | 'number';
  /** For a number's rule: the number, masked. */
  readonly maskedNumber: string | null;

  constructor(
    rule: AbuseRule,
    details: { retryAfterMs: number; subject: 'user' | 'number'; maskedNumber?: string | null; explanation: string },
  ) {
    super('VERIFICATION_REFUSED', `Verification refused (${rule}): ${details.explanation}`);
    this.rule = rule;
    this.retryAfterMs = details.retryAfterMs;
    this.subject = details.subject;
    this.maskedNumber = details.maskedNumber ?? null;
  }
}

/**
 * A dialling policy, caller ID setting or abuse limit that cannot work.
 * `issues` lists every problem found, not just the first.
 *
 * @example
 * ```ts
 * try { createNumberCheck({ allowedCountries: ['UK'] }); }
 * catch (error) {
 *   if (error instanceof InvalidPhoneConfigurationError) error.issues; // [{ path: 'allowedCountries.0', message: '…' }]
 * }
 * ```
 */
export class InvalidPhoneConfigurationError extends VoiceMfaError {
  readonly issues: readonly RequestIssue[];

  constructor(issues: readonly RequestIssue[]) {
    super('INVALID_CONFIGURATION', `Invalid phone configuration: ${describeIssues(issues)}`);
    this.issues = issues;
  }
}
