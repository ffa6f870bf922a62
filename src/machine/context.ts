/**
 * The machine's context and the pure helpers that read and update it.
 *
 * @module
 */

import { describeTarget } from './checks.js';
import type { PromptKind } from './commands.js';
import type { CallEnding } from './events.js';
import {
  type AttemptRecord,
  emptyIgnoredCounts,
  type IgnoredEventCounts,
  type VerificationReason,
  type VerificationStatus,
} from './outcomes.js';
import type { VerificationInput } from './types.js';

/**
 * The deadlines a state keeps: the whole dial (queue, post-dial delay and
 * ringing) until the phone rings, then the ring timer; the watchdog of a
 * prompt; the watchdog of extension digits, which runs after their pauses; the
 * input timer while waiting for keys; the grace after a hang-up in which keys
 * pressed before it may still be reported.
 */
export type DeadlineKind = 'dial' | 'ring' | 'watchdog' | 'extension' | 'input' | 'grace';

/** A deadline as data: its kind and the clock reading at which it falls due. */
export interface StateDeadline {
  kind: DeadlineKind;
  at: number;
}

/** How far the live call has come, for telling duplicates from out-of-order events. */
export type CallPhase = 'none' | 'placed' | 'ringing' | 'answered';

/** The verification machine's context. It never holds the expected PIN. */
export interface VerificationContext {
  input: VerificationInput;
  /** Index of the current attempt (and of its target). */
  attemptIndex: number;
  attempts: AttemptRecord[];
  /** The call that is live now, or `null`. */
  liveCallId: string | null;
  callPhase: CallPhase;
  /** Sequence number of the last prompt sent; prompt events must echo it. */
  promptSeq: number;
  /** Which re-prompt to play next. */
  repromptKind: PromptKind;
  /** Keys typed since the last judged entry (without `#`); cleared as soon as an entry is judged. */
  entry: string;
  /**
   * Keys typed after a PIN's `#` — later in the same report (Twilio posts a
   * whole entry at once) or while the PIN is checked — judged once the
   * verifier has answered. Cleared with the entry. Absent from snapshots
   * stored before it existed, which held none.
   */
  keysDuringCheck: string;
  /** The end of a call that may still report an entry: it ended during a PIN check, or in the grace after a hang-up. */
  endedBeforeVerdict: CallEnding | null;
  /** Latest clock reading known to the machine. */
  now: number;
  promptStartedAt: number;
  /** The deadline of the state the machine is in (beside the verification's total deadline), or `null`. */
  deadline: StateDeadline | null;
  ignoredEvents: IgnoredEventCounts;
  outcome: { status: VerificationStatus; reason: VerificationReason } | null;
}

/** The context a verification starts with. */
export function createInitialContext(input: VerificationInput): VerificationContext {
  return {
    input,
    attemptIndex: 0,
    attempts: [],
    liveCallId: null,
    callPhase: 'none',
    promptSeq: 0,
    repromptKind: 'invalid-entry',
    entry: '',
    keysDuringCheck: '',
    endedBeforeVerdict: null,
    now: input.startedAt,
    promptStartedAt: input.startedAt,
    deadline: null,
    ignoredEvents: emptyIgnoredCounts(),
    outcome: null,
  };
}

/** The keys held while a PIN is checked ({@link VerificationContext.keysDuringCheck}); none in an older snapshot. */
export function keysHeldDuringCheck(context: VerificationContext): string {
  return context.keysDuringCheck ?? '';
}

/**
 * The held keys a wrong PIN's verdict hands on as the call's keys: the whole
 * entries, up to the last `#`. A partial entry after them is dropped: the
 * re-prompt that follows asks for the whole PIN again, and on Twilio plays in
 * full, since those keys came before it.
 */
export function keysToDeliverAfterCheck(context: VerificationContext): string {
  const held = keysHeldDuringCheck(context);
  return held.slice(0, held.lastIndexOf('#') + 1);
}

/** A new, empty record for the attempt at `index`. */
export function createAttemptRecord(context: VerificationContext, index: number): AttemptRecord {
  const target = context.input.targets[index];
  return {
    index,
    target: {
      input: target === undefined ? '' : describeTarget(target),
      e164: null,
      extension: null,
      country: null,
    },
    callerId: null,
    callId: null,
    result: null,
    sitKind: null,
    sipCode: null,
    q850Cause: null,
    providerCode: null,
    rule: null,
    answeredBy: null,
    timedOut: null,
    times: { dialedAt: null, ringingAt: null, answeredAt: null, greetingEndedAt: null, endedAt: null },
    keysPressed: 0,
    invalidEntries: 0,
  };
}

/** The record of the current attempt (absent only before the first attempt opened). */
export function currentAttempt(context: VerificationContext): AttemptRecord | undefined {
  return context.attempts[context.attemptIndex];
}

/** The attempts with the current one changed by `patch`. */
export function patchCurrentAttempt(
  context: VerificationContext,
  patch: (attempt: AttemptRecord) => Partial<AttemptRecord>,
): AttemptRecord[] {
  return context.attempts.map((attempt, i) =>
    i === context.attemptIndex ? { ...attempt, ...patch(attempt) } : attempt,
  );
}

/** Caller ID for a destination country: the country's own, else the default. */
export function chooseCallerId(
  callerId: { default?: string | null; byCountry?: Record<string, string> },
  country: string | null,
): string | null {
  const byCountry = callerId.byCountry ?? {};
  if (country !== null && Object.hasOwn(byCountry, country)) return byCountry[country] ?? null;
  return callerId.default ?? null;
}

/** Milliseconds the machine waits for input after a prompt, including the grace for a provider-owned timer. */
export function inputTimerMs(input: VerificationInput): number {
  const { inputTimeoutMs, providerTimeoutGraceMs } = input.timing;
  return input.inputTimeoutOwner === 'machine' ? inputTimeoutMs : inputTimeoutMs + providerTimeoutGraceMs;
}

/** When the verification's overall deadline (`maxTotalMs`) falls due. */
export function totalDeadlineAt(context: VerificationContext): number {
  return context.input.startedAt + context.input.timing.maxTotalMs;
}

/** The earliest deadline still to come: the state's own or the total one. */
export function earliestDeadlineAt(context: VerificationContext): number {
  const total = totalDeadlineAt(context);
  return context.deadline === null ? total : Math.min(total, context.deadline.at);
}

/** Whether the state's deadline is due at `at` and falls before the total deadline (which wins a tie). */
export function isStateDeadlineDue(context: VerificationContext, at: number): boolean {
  const { deadline } = context;
  return deadline !== null && deadline.at <= at && deadline.at < totalDeadlineAt(context);
}

/**
 * The clock reading at which `event` happened: its `at` when it carries one
 * (never earlier than what is already known), else the latest reading known.
 */
export function eventTime(context: VerificationContext, event: { at?: number }): number {
  return typeof event.at === 'number' && Number.isFinite(event.at) ? Math.max(context.now, event.at) : context.now;
}
