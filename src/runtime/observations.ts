/**
 * The typed stream a host receives from `runVerification` through `onEvent`,
 * for logging, metrics and audit. It never holds a typed digit.
 *
 * @module
 */
import type { ProviderCommand } from '../machine/commands.js';
import type { ProviderEvent } from '../machine/events.js';
import type { IgnoredKind } from '../machine/ignoredEvents.js';
import type { AttemptRecord, VerificationResult } from '../machine/outcomes.js';
import type { AppliedLock } from '../phone/abuseGuard.js';
import type { DialPlacedReport, DialQueuedReport, ProviderReport } from '../providers/types.js';

/** A provider event as logged: `call.digits` carries how many keys, never which. */
export type LoggedProviderEvent =
  | Exclude<ProviderEvent, { type: 'call.digits' }>
  | { type: 'call.digits'; callId: string; keys: number; at?: number };

interface Observed {
  verificationId: string;
  /** Clock reading (milliseconds). */
  at: number;
}

/** The verification started. */
export interface VerificationStartedObservation extends Observed {
  type: 'verification.started';
  provider: string;
  targets: number;
  mode: 'standard' | 'pin';
}

/** The machine sent a command to the provider. */
export interface CommandObservation extends Observed {
  type: 'command';
  command: ProviderCommand;
}

/** The provider could not carry out a command. */
export interface CommandFailedObservation extends Observed {
  type: 'command.failed';
  command: ProviderCommand['type'];
  /** The error's code when it had one. */
  code: string | null;
  message: string;
}

/** The provider sent an event. */
export interface ProviderEventObservation extends Observed {
  type: 'provider.event';
  event: LoggedProviderEvent;
}

/**
 * The provider's event changed nothing, and why: `stale` (another call's, or it
 * came after its call or the verification ended), `duplicate`, `outOfOrder`, or
 * `unexpected` in the state the verification was in. Follows the event's own
 * `provider.event` observation.
 */
export interface ProviderEventIgnoredObservation extends Observed {
  type: 'provider.ignored';
  event: LoggedProviderEvent;
  reason: IgnoredKind;
  /** It came after the verification's final status, while the provider session closed. */
  afterEnd: boolean;
}

/** The provider sent something that is not an event; it was dropped (counted as `unexpected`). */
export interface MalformedEventObservation extends Observed {
  type: 'provider.malformed';
}

/**
 * A dial waits in the provider's queue (a provider pacing its dials, e.g.
 * Twilio's at `callsPerSecond`): how many wait and how long this one is expected to.
 *
 * @example
 * ```ts
 * onEvent: (o) => { if (o.type === 'provider.dialQueued') metrics.gauge('dial_queue', o.queueLength); }
 * ```
 */
export interface DialQueuedObservation extends Observed, DialQueuedReport {}

/**
 * A dial the provider paced was placed: how long it waited and how often it was retried.
 *
 * @example
 * ```ts
 * onEvent: (o) => { if (o.type === 'provider.dialPlaced') metrics.histogram('dial_wait_ms', o.waitMs); }
 * ```
 */
export interface DialPlacedObservation extends Observed, DialPlacedReport {}

/**
 * What providers report about their own work, as the host receives it: from
 * `runVerification`'s `onEvent`, and from the durable service's `onObservation`.
 *
 * @example
 * ```ts
 * const onObservation = (o: ProviderReportObservation) => {
 *   if (o.type === 'provider.dialQueued') metrics.gauge('dial_queue', o.queueLength);
 *   else metrics.histogram('dial_wait_ms', o.waitMs);
 * };
 * ```
 */
export type ProviderReportObservation = DialQueuedObservation | DialPlacedObservation;

/** An attempt ended. */
export interface AttemptEndedObservation extends Observed {
  type: 'attempt.ended';
  attempt: AttemptRecord;
}

/**
 * The verification reached its final status. Told once the provider session is
 * closed, so that its counts include events that arrived meanwhile; it is the
 * last observation but for the abuse limits'.
 */
export interface VerificationEndedObservation extends Observed {
  type: 'verification.ended';
  result: VerificationResult;
}

/** The abuse limits locked a user or a number after this verification. */
export interface AbuseLockedObservation extends Observed {
  type: 'abuse.locked';
  locks: AppliedLock[];
}

/** Feeding the result to the abuse limits failed; the result stands. */
export interface AbuseRecordFailedObservation extends Observed {
  type: 'abuse.recordFailed';
  code: string | null;
  message: string;
}

/**
 * Everything `onEvent` receives.
 *
 * @example
 * ```ts
 * await runVerification(request, {
 *   provider,
 *   onEvent: (o) => { if (o.type === 'attempt.ended') metrics.count(o.attempt.result); },
 * });
 * ```
 */
export type VerificationObservation =
  | VerificationStartedObservation
  | CommandObservation
  | CommandFailedObservation
  | ProviderEventObservation
  | ProviderEventIgnoredObservation
  | MalformedEventObservation
  | DialQueuedObservation
  | DialPlacedObservation
  | AttemptEndedObservation
  | VerificationEndedObservation
  | AbuseLockedObservation
  | AbuseRecordFailedObservation;

/** An observation before the runtime adds the verification id and the clock reading. */
export type UnstampedObservation = VerificationObservation extends infer O
  ? O extends VerificationObservation
    ? Omit<O, 'verificationId' | 'at'>
    : never
  : never;

/** The event as it may be logged: typed keys replaced by their count. */
export function toLoggedEvent(event: ProviderEvent): LoggedProviderEvent {
  if (event.type !== 'call.digits') return event;
  const { digits, ...rest } = event;
  return { ...rest, keys: digits.length };
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isDuration = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * A provider's report as it may be observed: its known fields only, or `null`
 * for something that is not a report (it is dropped, as a provider's own bug).
 */
export function readProviderReport(value: unknown): ProviderReport | null {
  if (typeof value !== 'object' || value === null) return null;
  const report = value as Record<string, unknown>;
  const { attempt, waitMs } = report;
  if (!isCount(attempt) || !isDuration(waitMs)) return null;
  if (report.type === 'provider.dialQueued' && isCount(report.queueLength)) {
    return { type: 'provider.dialQueued', attempt, queueLength: report.queueLength, waitMs };
  }
  if (report.type === 'provider.dialPlaced' && isCount(report.retries)) {
    return { type: 'provider.dialPlaced', attempt, waitMs, retries: report.retries };
  }
  return null;
}
