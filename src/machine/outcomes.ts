/**
 * The outcome vocabulary: attempt results, final statuses and reasons, and the
 * records a verification produces.
 *
 * @module
 */
import type { AnsweredBy, SitKind } from './events.js';

/** How one attempt (one call to one target) ended. */
export type AttemptResult =
  | 'approved'
  | 'hung-up'
  | 'no-response'
  | 'voicemail'
  | 'fraud'
  | 'invalid-input'
  | 'pin-failed'
  | 'busy'
  | 'sit'
  | 'invalid-number'
  | 'blocked-number'
  | 'no-answer'
  | 'failed'
  | 'canceled';

/** Attempt results after which the next target is tried. */
export const ROLLOVER_RESULTS: readonly AttemptResult[] = [
  'no-response',
  'voicemail',
  'busy',
  'sit',
  'invalid-number',
  'blocked-number',
  'no-answer',
  'failed',
];

/** Whether an attempt that ended with `result` rolls over to the next target. */
export function isRolloverResult(result: AttemptResult): boolean {
  return ROLLOVER_RESULTS.includes(result);
}

/** The final status of a verification: exactly one, reached exactly once. */
export type VerificationStatus = 'approved' | 'denied' | 'fraud' | 'unreachable' | 'canceled' | 'expired';

/** Why a verification reached its status. */
export type VerificationReason =
  | 'pound-key'
  | 'pin'
  | 'hung-up'
  | 'invalid-input'
  | 'pin-failed'
  | 'fraud-code'
  | 'no-targets-left'
  | 'host-canceled'
  | 'deadline'
  | 'service-interrupted';

/** The machine's deadlines for getting a call answered. */
export type DialDeadline = 'ring' | 'dial';

/** Clock readings (milliseconds, the runtime's clock) of one attempt. */
export interface AttemptTimes {
  dialedAt: number | null;
  ringingAt: number | null;
  answeredAt: number | null;
  greetingEndedAt: number | null;
  endedAt: number | null;
}

/** The target of an attempt as given and, once checked, as dialled. */
export interface AttemptTarget {
  /** The number as the host gave it. */
  input: string;
  /** E.164 form, once the number check accepted it. */
  e164: string | null;
  /** Extension digits (`,` = one second of pause). */
  extension: string | null;
  /** ISO 3166-1 alpha-2 country of the number, when known. */
  country: string | null;
}

/**
 * Everything recorded about one attempt. It holds how many keys were pressed,
 * never which.
 */
export interface AttemptRecord {
  /** Position in the target list: 0 is the primary number. */
  index: number;
  target: AttemptTarget;
  callerId: string | null;
  callId: string | null;
  /** `null` while the attempt is in progress. */
  result: AttemptResult | null;
  /** For `sit`: the kind of tones. */
  sitKind: SitKind | null;
  sipCode: number | null;
  q850Cause: number | null;
  providerCode: string | null;
  /** For `invalid-number` / `blocked-number` from the number check: the rule or reason. */
  rule: string | null;
  /** Answering-machine detection's verdict, when it gave one. */
  answeredBy: AnsweredBy | null;
  /**
   * Which of the machine's dial deadlines ended the attempt: `ring` (the phone
   * rang for `ringTimeoutMs`) or `dial` (queueing, post-dial delay and ringing
   * together took `dialTimeoutMs`); `null` when none did.
   */
  timedOut: DialDeadline | null;
  times: AttemptTimes;
  /** Keys pressed on this call (count only). */
  keysPressed: number;
  invalidEntries: number;
}

/** Provider events that changed nothing, by why. */
export interface IgnoredEventCounts {
  /** For a call that is not the live one, or a prompt that is no longer playing. */
  stale: number;
  /** A repeat of something already known (a second `ringing`, a second `dialed`). */
  duplicate: number;
  /** From an earlier phase of the live call (`ringing` after `answered`). */
  outOfOrder: number;
  /** Malformed, or not expected in the current state. */
  unexpected: number;
}

/** Counts with nothing ignored yet. */
export function emptyIgnoredCounts(): IgnoredEventCounts {
  return { stale: 0, duplicate: 0, outOfOrder: 0, unexpected: 0 };
}

/** The sum of two sets of counts. */
export function addIgnoredCounts(a: IgnoredEventCounts, b: IgnoredEventCounts): IgnoredEventCounts {
  return {
    stale: a.stale + b.stale,
    duplicate: a.duplicate + b.duplicate,
    outOfOrder: a.outOfOrder + b.outOfOrder,
    unexpected: a.unexpected + b.unexpected,
  };
}

/**
 * The result of a verification: the machine's output.
 *
 * @example
 * ```ts
 * if (result.status === 'approved') grantAccess();
 * for (const a of result.attempts) console.log(a.index, a.result);
 * ```
 */
export interface VerificationResult {
  status: VerificationStatus;
  reason: VerificationReason;
  attempts: AttemptRecord[];
  ignoredEvents: IgnoredEventCounts;
  startedAt: number;
  endedAt: number;
}

/**
 * The attempts a snapshot of the machine records: while it runs, its
 * context's; once it is done, its output's (the context hands them over, so
 * that a finished snapshot keeps them once).
 */
export function attemptsOf(snapshot: {
  status: string;
  output?: unknown;
  context: { attempts: readonly AttemptRecord[] };
}): readonly AttemptRecord[] {
  return snapshot.status === 'done' && snapshot.output !== undefined
    ? (snapshot.output as VerificationResult).attempts
    : snapshot.context.attempts;
}

/** The legacy Azure MFA Server report codes, for people migrating from it. */
export type LegacyResultCode =
  | 'SUCCESS_NO_PIN'
  | 'SUCCESS_WITH_PIN'
  | 'FAILED_USER_HUNGUP_ON_US'
  | 'SUCCESS_NO_PIN_BUT_TIMEOUT'
  | 'CONFIG_ISSUE'
  | 'FAILED_INVALID_PHONENUMBER'
  | 'FAILED_FRAUD_CODE_ENTERED'
  | 'FAILED_INVALID_PIN'
  | 'FAILED_INVALID_PHONE_INPUT';

/**
 * Maps an attempt to the MFA Server report code closest to it, or `null` when
 * the attempt is in progress or was canceled (MFA Server has no such code).
 *
 * @example
 * ```ts
 * toLegacyResultCode({ result: 'no-response' }, 'standard'); // 'SUCCESS_NO_PIN_BUT_TIMEOUT'
 * ```
 */
export function toLegacyResultCode(
  attempt: Pick<AttemptRecord, 'result'>,
  mode: 'standard' | 'pin',
): LegacyResultCode | null {
  switch (attempt.result) {
    case null:
      return null;
    case 'approved':
      return mode === 'pin' ? 'SUCCESS_WITH_PIN' : 'SUCCESS_NO_PIN';
    case 'hung-up':
      return 'FAILED_USER_HUNGUP_ON_US';
    case 'no-response':
    case 'voicemail':
      return 'SUCCESS_NO_PIN_BUT_TIMEOUT';
    case 'busy':
    case 'sit':
    case 'no-answer':
    case 'failed':
      return 'CONFIG_ISSUE';
    case 'invalid-number':
    case 'blocked-number':
      return 'FAILED_INVALID_PHONENUMBER';
    case 'fraud':
      return 'FAILED_FRAUD_CODE_ENTERED';
    case 'pin-failed':
      return 'FAILED_INVALID_PIN';
    case 'invalid-input':
      return 'FAILED_INVALID_PHONE_INPUT';
    case 'canceled':
      return null;
  }
}

/**
 * A short text for an attempt's result, with the SIT kind: `busy`, `sit:intercept`.
 *
 * @example
 * ```ts
 * describeAttemptResult({ result: 'sit', sitKind: 'intercept' }); // 'sit:intercept'
 * ```
 */
export function describeAttemptResult(attempt: Pick<AttemptRecord, 'result' | 'sitKind'>): string {
  if (attempt.result === null) return 'in-progress';
  if (attempt.result === 'sit') return `sit:${attempt.sitKind ?? 'unknown'}`;
  return attempt.result;
}
