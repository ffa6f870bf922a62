/**
 * SPEC rule: "Deadlines are judged by event time: an event stamped at or after a
 * deadline is too late, even if it is delivered before the timer fires".
 *
 * Two copies of one verification are driven in lockstep through a random
 * schedule that often places an event exactly on the machine's next deadline —
 * the ring timer, a prompt or extension watchdog, the input timer (its own, or
 * its watchdog over a provider-owned timer), the total deadline. One copy gets
 * such an event before the clock fires the timer, the other after it. They must
 * say and decide exactly the same things, whatever the mode, the owner of the
 * input timer and the schedule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VerificationEvent } from '../../src/machine/events.js';
import type { VerificationRequest } from '../../src/machine/types.js';
import { startTieRun, type TieRun } from '../support/tieClock.js';
import { assertProperty, PROPERTY_TIMEOUT_MS } from './support/property.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550199';
const THIRD = '+14255550142';
const PIN = '4821';

type EventKind =
  | 'dialed'
  | 'dialFailed'
  | 'ringing'
  | 'answered'
  | 'machine'
  | 'human'
  | 'digitsSent'
  | 'promptFinished'
  | 'inputTimeout'
  | 'pound'
  | 'fraud'
  | 'digit'
  | 'pin'
  | 'wrongEntry'
  | 'hangUp'
  | 'busy'
  | 'cancel';

const EVENT_KINDS: readonly EventKind[] = [
  'dialed',
  'dialFailed',
  'ringing',
  'answered',
  'machine',
  'human',
  'digitsSent',
  'promptFinished',
  'inputTimeout',
  'pound',
  'fraud',
  'digit',
  'pin',
  'wrongEntry',
  'hangUp',
  'busy',
  'cancel',
];

/** When a step's event happens: somewhere before the next deadline, exactly on it, or no event (time passes). */
type Timing = { at: 'before'; fraction: number } | { at: 'deadline' } | { at: 'pass' };

interface Step {
  kind: EventKind;
  timing: Timing;
}

interface Schedule {
  request: VerificationRequest;
  providerEnforcesInputTimeout: boolean;
  steps: Step[];
}

const stepArbitrary: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom(...EVENT_KINDS),
  timing: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        at: fc.constant('before' as const),
        fraction: fc.double({ min: 0, max: 0.999, noNaN: true }),
      }),
    },
    { weight: 3, arbitrary: fc.constant({ at: 'deadline' as const }) },
    { weight: 1, arbitrary: fc.constant({ at: 'pass' as const }) },
  ),
});

const scheduleArbitrary: fc.Arbitrary<Schedule> = fc.record({
  request: fc.record({
    targets: fc.constantFrom<VerificationRequest['targets']>(
      [PRIMARY, BACKUP],
      [{ number: PRIMARY, extension: '12' }, BACKUP, THIRD],
      [PRIMARY, { number: BACKUP, extension: ',7' }],
    ),
    mode: fc.constantFrom('standard' as const, 'pin' as const),
    answeringMachineDetection: fc.boolean(),
    timing: fc.record({
      ringTimeoutMs: fc.integer({ min: 1_000, max: 40_000 }),
      inputTimeoutMs: fc.integer({ min: 1_000, max: 15_000 }),
      promptWatchdogMs: fc.integer({ min: 1_000, max: 30_000 }),
      maxTotalMs: fc.integer({ min: 5_000, max: 120_000 }),
      providerTimeoutGraceMs: fc.integer({ min: 0, max: 5_000 }),
      maxInvalidEntries: fc.integer({ min: 1, max: 3 }),
    }),
  }),
  providerEnforcesInputTimeout: fc.boolean(),
  steps: fc.array(stepArbitrary, { minLength: 1, maxLength: 40 }),
});

/** The event a step stands for, addressed to what this copy of the verification has live. */
function eventOf(run: TieRun, kind: EventKind): VerificationEvent {
  const { attemptIndex, liveCallId, promptSeq } = run.actor.getSnapshot().context;
  const callId = liveCallId ?? `CA${attemptIndex}`;
  switch (kind) {
    case 'dialed':
      return { type: 'call.dialed', attempt: attemptIndex, callId: `CA${attemptIndex}` };
    case 'dialFailed':
      return { type: 'call.dialFailed', attempt: attemptIndex, ending: { status: 'failed', sipCode: 503 } };
    case 'ringing':
      return { type: 'call.ringing', callId };
    case 'answered':
      return { type: 'call.answered', callId };
    case 'machine':
    case 'human':
      return { type: 'call.answeredBy', callId, answeredBy: kind };
    case 'digitsSent':
      return { type: 'call.digitsSent', callId };
    case 'promptFinished':
      return { type: 'call.promptFinished', callId, promptSeq };
    case 'inputTimeout':
      return { type: 'call.inputTimeout', callId, promptSeq };
    case 'pound':
      return { type: 'call.digits', callId, digits: '#' };
    case 'fraud':
      return { type: 'call.digits', callId, digits: '0#' };
    case 'digit':
      return { type: 'call.digits', callId, digits: '7' };
    case 'pin':
      return { type: 'call.digits', callId, digits: `${PIN}#` };
    case 'wrongEntry':
      return { type: 'call.digits', callId, digits: '12#' };
    case 'hangUp':
      return { type: 'call.ended', callId, ending: { status: 'completed' } };
    case 'busy':
      return { type: 'call.ended', callId, ending: { status: 'busy', sipCode: 486 } };
    case 'cancel':
      return { type: 'verification.cancel' };
  }
}

const isActive = (run: TieRun): boolean => run.actor.getSnapshot().status === 'active';

/** Plays one step on a copy; an event due exactly at the deadline goes before or after its timer. */
async function playStep(run: TieRun, step: Step, order: 'event-first' | 'timer-first'): Promise<void> {
  const now = run.clock.now();
  const deadline = run.clock.nextDue();
  if (step.timing.at === 'pass') {
    if (Number.isFinite(deadline)) await run.advanceTo(deadline);
    return;
  }
  if (step.timing.at === 'before') {
    const at = now + Math.floor(step.timing.fraction * (deadline - now));
    if (!(at < deadline)) return;
    await run.advanceTo(at);
    await run.deliver(eventOf(run, step.kind), at);
    return;
  }
  if (!Number.isFinite(deadline)) return;
  // The event is what the provider sent, decided before the machine's timer had its say.
  const event = eventOf(run, step.kind);
  run.clock.setNow(deadline);
  if (order === 'timer-first') {
    // Straight after the timer, before any promise (a number check) settles: only the order differs.
    run.clock.fireDue();
    // The copy may have ended at this deadline: the event then goes nowhere (the runtime counts it).
    if (isActive(run)) await run.deliver(event, deadline);
  } else {
    await run.deliver(event, deadline);
  }
  await run.advanceTo(deadline);
}

/** What a copy said and decided; counters of ignored events are compared only while it runs (see below). */
function observable(run: TieRun) {
  const snapshot = run.actor.getSnapshot();
  const { ignoredEvents: _counted, ...context } = snapshot.context;
  return { status: snapshot.status, value: snapshot.value, context, commands: run.commands };
}

describe('deadline ties', () => {
  it(
    'an event stamped exactly at a deadline gives the same result delivered before or after the timer fires (machine- and provider-owned input timers)',
    async () => {
      const tally = { steps: 0, onDeadline: 0 };
      await assertProperty(scheduleArbitrary, async (schedule) => {
        const options = {
          verifyPin: (entry: string) => entry === PIN,
          providerEnforcesInputTimeout: schedule.providerEnforcesInputTimeout,
          providerOffersMachineDetection: true,
        };
        const eventFirst = await startTieRun(schedule.request, options);
        const timerFirst = await startTieRun(schedule.request, options);
        for (const step of schedule.steps) {
          if (!isActive(eventFirst) && !isActive(timerFirst)) break;
          tally.steps++;
          if (step.timing.at === 'deadline') tally.onDeadline++;
          await playStep(eventFirst, step, 'event-first');
          await playStep(timerFirst, step, 'timer-first');
          expect(observable(eventFirst)).toEqual(observable(timerFirst));
          // While both run, an event one copy ignored is counted the same way by the other.
          if (isActive(timerFirst)) {
            expect(eventFirst.actor.getSnapshot().context.ignoredEvents).toEqual(
              timerFirst.actor.getSnapshot().context.ignoredEvents,
            );
          }
        }
        // Time runs out for both: each ends, the same way.
        for (let i = 0; i < 200 && (isActive(eventFirst) || isActive(timerFirst)); i++) {
          await playStep(eventFirst, { kind: 'digit', timing: { at: 'pass' } }, 'event-first');
          await playStep(timerFirst, { kind: 'digit', timing: { at: 'pass' } }, 'timer-first');
        }
        expect(isActive(eventFirst)).toBe(false);
        expect(observable(eventFirst)).toEqual(observable(timerFirst));
      });
      expect(tally.onDeadline).toBeGreaterThan(tally.steps / 5);
    },
    PROPERTY_TIMEOUT_MS,
  );
});
