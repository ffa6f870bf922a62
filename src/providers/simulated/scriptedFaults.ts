/**
 * Scripted faults: misbehaviour a scenario names exactly — "duplicate the
 * answer of the primary's call", "never report the end of the first prompt",
 * "fail the dial of the first backup with code 20429" — as plain JSON, the
 * same on every run.
 *
 * @module
 */
import type { RequestIssue } from '../../errors.js';
import { PROVIDER_EVENT_TYPES, type ProviderEvent } from '../../machine/events.js';
import { isRecord, MAX_TARGETS, unknownKeys } from '../../request/normalizeRequest.js';
import { checkNumberField, checkOneOf, checkTag, DURATION, fieldPath } from './checks.js';
import type { Delivery, FaultRecord } from './faults.js';

/**
 * Which event a scripted fault applies to: the `occurrence`-th event of type
 * `event` (of the call of `attempt`, when given) that the carrier sends in one
 * verification, counted before any fault touches it.
 *
 * @example
 * ```ts
 * const secondKeyOfTheBackup: EventMatch = { event: 'call.digits', attempt: 1, occurrence: 2 };
 * ```
 */
export interface EventMatch {
  /** The event's type. */
  event: ProviderEvent['type'];
  /** Only events of the call of this attempt: 0 is the primary, 1 the first backup… Default: any call. */
  attempt?: number;
  /** Which of the matching events, from 1. Default 1. */
  occurrence?: number;
}

/**
 * Which dial a scripted fault applies to: the `occurrence`-th dial command
 * (of `attempt`, when given) of one verification.
 *
 * @example
 * ```ts
 * const firstBackup: DialMatch = { command: 'dial', attempt: 1 };
 * ```
 */
export interface DialMatch {
  command: 'dial';
  /** Only the dial of this attempt: 0 is the primary, 1 the first backup… Default: any. */
  attempt?: number;
  /** Which of the matching dials, from 1. Default 1. */
  occurrence?: number;
}

/**
 * Deliver the event, then `copies` more copies of it `delayMs` later.
 *
 * @example
 * ```ts
 * const twice: DuplicateFault = { match: { event: 'call.answered', attempt: 0 }, action: 'duplicate' };
 * ```
 */
export interface DuplicateFault {
  match: EventMatch;
  action: 'duplicate';
  /** Extra copies, 1–10. Default 1. */
  copies?: number;
  /** How long after the event its copies arrive. Default 0 (right after it). */
  delayMs?: number;
}

/**
 * Never deliver the event. Dropping `call.promptFinished` is a prompt whose
 * end is never reported; dropping `call.inputTimeout` is a provider that never
 * reports the input timeout it owns.
 *
 * @example
 * ```ts
 * const noGreetingEnd: DropFault = { match: { event: 'call.promptFinished', attempt: 0, occurrence: 1 }, action: 'drop' };
 * ```
 */
export interface DropFault {
  match: EventMatch;
  action: 'drop';
}

/**
 * Deliver the event late: `delayMs` after it was sent, or right after the same
 * call's next event of type `after` (give one of the two). Later events are
 * not held back, so they may overtake it. An event waiting for an `after` that
 * never comes is never delivered (and logged as dropped when the session closes).
 *
 * @example
 * ```ts
 * const late: DelayFault = { match: { event: 'call.ended' }, action: 'delay', delayMs: 5_000 };
 * const ringingAfterAnswer: DelayFault = { match: { event: 'call.ringing' }, action: 'delay', after: 'call.answered' };
 * ```
 */
export interface DelayFault {
  match: EventMatch;
  action: 'delay';
  delayMs?: number;
  after?: ProviderEvent['type'];
}

/**
 * The provider's API refuses the dial, as a REST error would: `execute`
 * returns a rejected promise (or throws, with `throws: true`) with a
 * {@link SimulatedApiError} whose `code` is `providerCode`. No call is placed.
 *
 * @example
 * ```ts
 * const rateLimited: DialFailureFault = { match: { command: 'dial', attempt: 1 }, action: 'fail', providerCode: '20429' };
 * ```
 */
export interface DialFailureFault {
  match: DialMatch;
  action: 'fail';
  /** The provider's error code, e.g. Twilio's `20429` (too many requests). */
  providerCode: string;
  /** The error's message. Default: `The provider refused the call (code …)`. */
  message?: string;
  /** Throw from `execute` instead of returning a rejected promise. Default false. */
  throws?: boolean;
}

/**
 * One deterministic fault: a matcher (what, whose, which one) and an action.
 * When two faults match the same event or dial, the first listed applies; an
 * event a scripted fault takes is left alone by the random `faults`.
 *
 * @example
 * ```ts
 * const scriptedFaults: ScriptedFault[] = [
 *   { match: { event: 'call.answered', attempt: 0 }, action: 'duplicate' },
 *   { match: { event: 'call.promptFinished', attempt: 0, occurrence: 1 }, action: 'drop' },
 *   { match: { event: 'call.ringing' }, action: 'delay', after: 'call.answered' },
 *   { match: { command: 'dial', attempt: 1 }, action: 'fail', providerCode: '20429' },
 * ];
 * ```
 */
export type ScriptedFault = DuplicateFault | DropFault | DelayFault | DialFailureFault;

/**
 * The actions of scripted faults.
 *
 * @example
 * ```ts
 * SCRIPTED_FAULT_ACTIONS.includes(rule.action); // true for a rule the carrier accepts
 * ```
 */
export const SCRIPTED_FAULT_ACTIONS: readonly ScriptedFault['action'][] = ['duplicate', 'drop', 'delay', 'fail'];

/** Most scripted faults a carrier takes. */
const MAX_SCRIPTED_FAULTS = 100;
const MAX_COPIES = 10;

const FIELDS: Record<ScriptedFault['action'], readonly string[]> = {
  duplicate: ['match', 'action', 'copies', 'delayMs'],
  drop: ['match', 'action'],
  delay: ['match', 'action', 'delayMs', 'after'],
  fail: ['match', 'action', 'providerCode', 'message', 'throws'],
};

function checkMatch(match: unknown, action: ScriptedFault['action'], path: string, issues: RequestIssue[]): void {
  const wanted = action === 'fail' ? '{ command: "dial", attempt?, occurrence? }' : '{ event, attempt?, occurrence? }';
  if (!isRecord(match)) {
    issues.push({ path, message: `must be ${wanted}` });
    return;
  }
  if (action === 'fail') {
    unknownKeys(match, ['command', 'attempt', 'occurrence'], path, issues);
    if (match.command !== 'dial') {
      issues.push({ path: fieldPath(path, 'command'), message: 'must be "dial": only a dial can fail this way' });
    }
  } else {
    unknownKeys(match, ['event', 'attempt', 'occurrence'], path, issues);
    if (match.event === undefined) {
      issues.push({
        path: fieldPath(path, 'event'),
        message: `is required: one of ${PROVIDER_EVENT_TYPES.join(', ')}`,
      });
    } else checkOneOf(match.event, fieldPath(path, 'event'), PROVIDER_EVENT_TYPES, issues);
  }
  const attempt = { min: 0, max: MAX_TARGETS - 1, integer: true };
  checkNumberField(match.attempt, fieldPath(path, 'attempt'), attempt, issues);
  checkNumberField(match.occurrence, fieldPath(path, 'occurrence'), { min: 1, max: 1_000, integer: true }, issues);
}

function checkFault(fault: unknown, path: string, issues: RequestIssue[]): void {
  if (!isRecord(fault)) {
    issues.push({ path, message: 'a scripted fault must be { match, action, … }' });
    return;
  }
  const action = checkTag(fault, 'action', FIELDS, path, issues);
  if (action === null) return;
  checkMatch(fault.match, action, fieldPath(path, 'match'), issues);
  switch (action) {
    case 'duplicate':
      checkNumberField(fault.copies, fieldPath(path, 'copies'), { min: 1, max: MAX_COPIES, integer: true }, issues);
      checkNumberField(fault.delayMs, fieldPath(path, 'delayMs'), DURATION, issues);
      return;
    case 'delay':
      if ((fault.delayMs === undefined) === (fault.after === undefined)) {
        issues.push({ path, message: 'a delay needs delayMs or after (an event type), not both' });
        return;
      }
      checkNumberField(fault.delayMs, fieldPath(path, 'delayMs'), DURATION, issues);
      checkOneOf(fault.after, fieldPath(path, 'after'), PROVIDER_EVENT_TYPES, issues);
      return;
    case 'fail':
      if (!(typeof fault.providerCode === 'string' && /^\S{1,64}$/.test(fault.providerCode))) {
        issues.push({
          path: fieldPath(path, 'providerCode'),
          message: 'must be the provider\'s error code, e.g. "20429"',
        });
      }
      if (fault.message !== undefined && !(typeof fault.message === 'string' && fault.message.length <= 1_000)) {
        issues.push({ path: fieldPath(path, 'message'), message: 'must be text of at most 1000 characters' });
      }
      checkOneOf(fault.throws, fieldPath(path, 'throws'), [true, false], issues);
      return;
    case 'drop':
      return;
  }
}

/**
 * Checks scripted faults written as plain data (a scenario file); adds an
 * issue for every problem, with the path of its field.
 *
 * @example
 * ```ts
 * const issues: RequestIssue[] = [];
 * checkScriptedFaults([{ match: { event: 'call.answerd' }, action: 'drop' }], 'scriptedFaults', issues);
 * issues[0].path; // 'scriptedFaults.0.match.event'
 * ```
 */
export function checkScriptedFaults(faults: unknown, path: string, issues: RequestIssue[]): void {
  if (!Array.isArray(faults) || faults.length > MAX_SCRIPTED_FAULTS) {
    issues.push({ path, message: `must be a list of at most ${MAX_SCRIPTED_FAULTS} scripted faults` });
    return;
  }
  faults.forEach((fault: unknown, i) => {
    checkFault(fault, fieldPath(path, i), issues);
  });
}

/** An event held until the same call's next event of a type. */
interface HeldEvent {
  event: ProviderEvent;
  attempt: number;
  after: ProviderEvent['type'];
  heldAt: number;
  rule: number;
}

/** The per-verification state of scripted faults: how many events each matcher has seen, and held events. */
export class ScriptedFaultPlayer {
  private readonly seen: number[];
  private held: HeldEvent[] = [];

  constructor(
    private readonly faults: readonly ScriptedFault[],
    private readonly log: (record: FaultRecord) => void,
  ) {
    this.seen = faults.map(() => 0);
  }

  /** The index of the fault that takes the event or dial, counting it against every matcher. */
  private take(type: ProviderEvent['type'] | 'dial', attempt: number): number | null {
    let taken: number | null = null;
    this.faults.forEach((fault, i) => {
      const { match } = fault;
      const matchedType = 'command' in match ? 'dial' : match.event;
      if (matchedType !== type || (match.attempt !== undefined && match.attempt !== attempt)) return;
      this.seen[i] = (this.seen[i] ?? 0) + 1;
      if (taken === null && this.seen[i] === (match.occurrence ?? 1)) taken = i;
    });
    return taken;
  }

  /**
   * The deliveries of an event a scripted fault takes, or `null` when none
   * does. `undisturbed` is the event's delivery when nothing happens to it.
   */
  deliveriesFor(event: ProviderEvent, attempt: number, now: number, undisturbed: () => Delivery): Delivery[] | null {
    const index = this.take(event.type, attempt);
    if (index === null) return null;
    const fault = this.faults[index] as ScriptedFault;
    const log = (record: Omit<FaultRecord, 'eventType' | 'scripted'>) =>
      this.log({ ...record, eventType: event.type, scripted: index });
    switch (fault.action) {
      case 'drop':
        log({ fault: 'dropped', delayMs: 0 });
        return [];
      case 'delay':
        if (fault.after !== undefined) {
          this.held.push({ event, attempt, after: fault.after, heldAt: now, rule: index });
          return [];
        }
        log({ fault: 'delayed', delayMs: fault.delayMs ?? 0 });
        return [{ event, delayMs: fault.delayMs ?? 0, queued: true }];
      case 'duplicate': {
        const original = undisturbed();
        const copyDelayMs = original.delayMs + (fault.delayMs ?? 0);
        const copies: Delivery[] = [];
        for (let copy = 0; copy < (fault.copies ?? 1); copy++) {
          log({ fault: 'duplicated', delayMs: copyDelayMs });
          copies.push({ event, delayMs: copyDelayMs, queued: true });
        }
        return [original, ...copies];
      }
      case 'fail':
        return null;
    }
  }

  /** The dial failure to play for a dial of `attempt`, or `null`. */
  dialFailureFor(attempt: number): DialFailureFault | null {
    const index = this.take('dial', attempt);
    if (index === null) return null;
    const fault = this.faults[index] as ScriptedFault;
    if (fault.action !== 'fail') return null;
    this.log({ fault: 'dial-failed', eventType: 'dial', delayMs: 0, scripted: index });
    return fault;
  }

  /**
   * Events held until this one, released to arrive `delayMs` from now, right
   * after it; logged as delayed by the time they waited.
   */
  releasedBy(event: ProviderEvent, attempt: number, now: number, delayMs: number): Delivery[] {
    const released = this.held.filter((h) => h.after === event.type && h.attempt === attempt);
    if (released.length === 0) return [];
    this.held = this.held.filter((h) => !released.includes(h));
    return released.map((h) => {
      this.log({ fault: 'delayed', eventType: h.event.type, delayMs: now + delayMs - h.heldAt, scripted: h.rule });
      return { event: h.event, delayMs, queued: true };
    });
  }

  /** Logs every event still held as dropped: the session is closing and they will never arrive. */
  close(): void {
    for (const h of this.held) this.log({ fault: 'dropped', eventType: h.event.type, delayMs: 0, scripted: h.rule });
    this.held = [];
  }
}
