/**
 * Fault injection between the simulated carrier and the runtime: duplicated,
 * reordered, delayed, dropped and stale events, on a seeded schedule.
 *
 * @module
 */
import type { RequestIssue } from '../../errors.js';
import type { ProviderEvent } from '../../machine/events.js';
import { isRecord, unknownKeys } from '../../request/normalizeRequest.js';
import { checkNumberField, DURATION, fieldPath } from './checks.js';
import type { RandomSource } from './random.js';

/**
 * How events misbehave on their way to the runtime. Probabilities are per event.
 *
 * Key presses keep their order and are never duplicated or lost (a DTMF stream
 * is ordered, and a provider must deliver each key exactly once: a lost key
 * would change what was typed, not when); every event of a call
 * except `call.ringing` and `call.answeredBy` keeps its order relative to the
 * others, so a delay never makes a hang-up overtake the answer. `call.dialed`
 * and `call.dialFailed` come from the API's reply and are never disturbed.
 * Scripted faults (`scriptedFaults` of the carrier) are not bound by these
 * rules: a scenario may drop, repeat or reorder any event, a key press too,
 * and that is then its deliberate choice.
 *
 * @example
 * ```ts
 * const faults: FaultPlan = { duplicate: 0.2, delay: 0.3, maxDelayMs: 400, reorderWindowMs: 200, stale: 0.1 };
 * ```
 */
export interface FaultPlan {
  /** Probability that an event is delivered twice. */
  duplicate?: number;
  /** Probability that an event is delayed by up to `maxDelayMs`. */
  delay?: number;
  maxDelayMs?: number;
  /** Unordered events (`ringing`, `answeredBy`) are shifted by up to this much, so they may swap with others. */
  reorderWindowMs?: number;
  /** Probability that an event other than a key press is lost. */
  drop?: number;
  /** Probability that a copy of an event is also sent for a call that is not live. */
  stale?: number;
}

/**
 * What happened to one event on its way, for tests and timelines: random
 * faults, and scripted ones (with the index of their rule). A scripted dial
 * failure is recorded as `dial-failed` with `eventType` `dial`.
 *
 * @example
 * ```ts
 * carrier.faultLog.filter((record: FaultRecord) => record.scripted !== undefined); // the scripted faults that fired
 * ```
 */
export interface FaultRecord {
  fault: 'dropped' | 'delayed' | 'duplicated' | 'stale-copy' | 'shifted' | 'dial-failed';
  /** The event's type, or `dial` for the dial command. */
  eventType: ProviderEvent['type'] | 'dial';
  /** Extra delay in milliseconds, when the event was delayed, shifted or duplicated. */
  delayMs: number;
  /** For a scripted fault, its index in the carrier's `scriptedFaults`; absent for random faults. */
  scripted?: number;
}

const PROBABILITIES = ['duplicate', 'delay', 'drop', 'stale'] as const;
const DURATIONS = ['maxDelayMs', 'reorderWindowMs'] as const;

/**
 * Checks a fault plan written as plain data (a scenario file, a command-line
 * flag); adds an issue for every problem, with the path of its field.
 *
 * @example
 * ```ts
 * const issues: RequestIssue[] = [];
 * checkFaultPlan({ duplicate: 2 }, 'faults', issues);
 * issues; // [{ path: 'faults.duplicate', message: 'must be a finite number from 0 to 1, got 2' }]
 * ```
 */
export function checkFaultPlan(plan: unknown, path: string, issues: RequestIssue[]): void {
  if (!isRecord(plan)) {
    issues.push({ path, message: `a fault plan must be an object of ${[...PROBABILITIES, ...DURATIONS].join(', ')}` });
    return;
  }
  unknownKeys(plan, [...PROBABILITIES, ...DURATIONS], path, issues);
  for (const key of PROBABILITIES) checkNumberField(plan[key], fieldPath(path, key), { min: 0, max: 1 }, issues);
  for (const key of DURATIONS) checkNumberField(plan[key], fieldPath(path, key), DURATION, issues);
}

/** One planned delivery of an event. */
export interface Delivery {
  event: ProviderEvent;
  delayMs: number;
  /**
   * Deliver through the clock even when `delayMs` is 0: an earlier event of the
   * same call may be due at this very moment, and timers due together fire in
   * the order they were set.
   */
  queued: boolean;
}

const UNORDERED: ReadonlySet<ProviderEvent['type']> = new Set(['call.ringing', 'call.answeredBy']);
const UNTOUCHED: ReadonlySet<ProviderEvent['type']> = new Set(['call.dialed', 'call.dialFailed']);

const probability = (value: number | undefined): number =>
  typeof value === 'number' && Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;

const duration = (value: number | undefined): number =>
  typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value) : 0;

/**
 * Whether a plan can do anything to an event. Under one that cannot, every
 * event is delivered at once, as it was sent, whatever the random draws.
 */
export function disturbsEvents(plan: FaultPlan): boolean {
  return PROBABILITIES.some((key) => probability(plan[key]) > 0) || duration(plan.reorderWindowMs) > 0;
}

/**
 * Plans the deliveries of events under a fault plan. Holds, per call, when the
 * last delayed ordered event will arrive, so that ordered events never overtake
 * each other — not even when one is due at the very moment the next is sent.
 */
export class FaultSchedule {
  /** Per call, when the last ordered event sent through the clock arrives. */
  private readonly pendingOrderedUntil = new Map<string, number>();
  private staleCounter = 0;

  constructor(
    private readonly plan: FaultPlan,
    private readonly random: RandomSource,
    private readonly log: (record: FaultRecord) => void,
  ) {}

  /** Deliveries for `event` emitted at `now`, with ids of ended calls to use for stale copies. */
  deliveriesFor(event: ProviderEvent, now: number, endedCallIds: readonly string[]): Delivery[] {
    if (UNTOUCHED.has(event.type) || !('callId' in event)) return [{ event, delayMs: 0, queued: false }];
    const { plan, random } = this;
    if (event.type !== 'call.digits' && random() < probability(plan.drop)) {
      this.log({ fault: 'dropped', eventType: event.type, delayMs: 0 });
      return [];
    }
    let delayMs = 0;
    if (random() < probability(plan.delay)) {
      delayMs = Math.round(random() * duration(plan.maxDelayMs));
      if (delayMs > 0) this.log({ fault: 'delayed', eventType: event.type, delayMs });
    }
    if (UNORDERED.has(event.type)) {
      const shift = Math.round(random() * duration(plan.reorderWindowMs));
      if (shift > 0) this.log({ fault: 'shifted', eventType: event.type, delayMs: shift });
      delayMs += shift;
    }
    const delivery = this.inOrder(event, now, delayMs);
    delayMs = delivery.delayMs;
    const { queued } = delivery;
    const deliveries: Delivery[] = [delivery];
    if (event.type !== 'call.digits' && random() < probability(plan.duplicate)) {
      const extra = Math.round(random() * Math.max(duration(plan.reorderWindowMs), duration(plan.maxDelayMs)));
      this.log({ fault: 'duplicated', eventType: event.type, delayMs: delayMs + extra });
      deliveries.push({ event, delayMs: delayMs + extra, queued: true });
    }
    if (random() < probability(plan.stale)) {
      const pick = endedCallIds[Math.floor(random() * endedCallIds.length)];
      const callId = pick ?? `CA-stale-${++this.staleCounter}`;
      this.log({ fault: 'stale-copy', eventType: event.type, delayMs });
      deliveries.push({ event: { ...event, callId }, delayMs, queued });
    }
    return deliveries;
  }

  /**
   * The delivery of an event no fault touches, still behind any earlier
   * event of its call that is on its way.
   */
  undisturbed(event: ProviderEvent, now: number): Delivery {
    if (UNTOUCHED.has(event.type) || !('callId' in event)) return { event, delayMs: 0, queued: false };
    return this.inOrder(event, now, 0);
  }

  /** Delays an ordered event of a call, when needed, so that it arrives after the earlier ones. */
  private inOrder(event: ProviderEvent & { callId: string }, now: number, delayMs: number): Delivery {
    let queued = delayMs > 0;
    if (UNORDERED.has(event.type)) return { event, delayMs, queued };
    const pendingUntil = this.pendingOrderedUntil.get(event.callId);
    if (pendingUntil !== undefined && pendingUntil >= now) {
      // An earlier event of this call is still on its way: arrive after it.
      delayMs = Math.max(delayMs, pendingUntil - now);
      queued = true;
    }
    if (queued) this.pendingOrderedUntil.set(event.callId, now + delayMs);
    return { event, delayMs, queued };
  }
}
