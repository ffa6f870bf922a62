/**
 * SPEC rule: "Deadlines are judged by event time: an event stamped at or after a
 * deadline is too late, even if it is delivered before the timer fires". For
 * every deadline the machine keeps — the input timer (its own, and its watchdog
 * over a provider's), the ring timer, the prompt and extension watchdogs, the
 * total deadline — an event stamped exactly at it gives the same result whether
 * it is delivered before or after the machine's timer fires.
 */
import { describe, expect, it } from 'vitest';
import type { NumberCheckResult } from '../../src/machine/checks.js';
import type { VerificationEvent } from '../../src/machine/events.js';
import { attemptsOf, type VerificationResult } from '../../src/machine/outcomes.js';
import type { VerificationRequest } from '../../src/machine/types.js';
import { isWellFormedEvent } from '../../src/machine/validateEvent.js';
import type { VerificationActorOptions } from '../../src/runtime/createVerificationActor.js';
import { flush } from '../support/harness.js';
import { startTieRun, type TieRun } from '../support/tieClock.js';
import { BACKUP, PRIMARY } from './helpers.js';

type Options = Omit<VerificationActorOptions, 'clock' | 'startedAt'>;

interface Setup {
  request: Partial<VerificationRequest>;
  options?: Options;
  /** Brings the run to the moment before the deadline under test. */
  prepare(run: TieRun): Promise<void>;
}

const lastPromptSeq = (run: TieRun): number => {
  const prompts = run.commands.filter((c) => c.type === 'playPrompt');
  return prompts.at(-1)?.type === 'playPrompt' ? (prompts.at(-1) as { promptSeq: number }).promptSeq : 0;
};

const answerAt = async (run: TieRun, callId: string, at: number): Promise<void> => {
  await run.advanceTo(at);
  const dial = run.commands.filter((c) => c.type === 'dial').at(-1);
  await run.deliver({ type: 'call.dialed', attempt: dial?.type === 'dial' ? dial.attempt : 0, callId }, at);
  await run.deliver({ type: 'call.ringing', callId }, at);
  await run.deliver({ type: 'call.answered', callId }, at);
};

const finishPromptAt = async (run: TieRun, callId: string, at: number): Promise<void> => {
  await run.advanceTo(at);
  await run.deliver({ type: 'call.promptFinished', callId, promptSeq: lastPromptSeq(run) }, at);
};

/** Plays `setup`, then `event` stamped `at` — before the timers due at `at` fire, or after. */
async function play(setup: Setup, event: VerificationEvent, at: number, order: 'event-first' | 'timer-first') {
  const run = await startTieRun({ targets: [PRIMARY, BACKUP], ...setup.request }, setup.options);
  await setup.prepare(run);
  expect(run.clock.nextDue(), 'a timer of the machine is due exactly when the event is stamped').toBe(at);
  run.clock.setNow(at);
  if (order === 'timer-first') run.clock.fireDue();
  await run.deliver(event, at);
  await run.advanceTo(at);
  return run;
}

/** Both delivery orders; they must agree on everything the machine said and decided. */
async function bothOrders(setup: Setup, event: VerificationEvent, at: number): Promise<TieRun> {
  const eventFirst = await play(setup, event, at, 'event-first');
  const timerFirst = await play(setup, event, at, 'timer-first');
  expect(eventFirst.commands).toEqual(timerFirst.commands);
  expect(eventFirst.actor.getSnapshot().value).toEqual(timerFirst.actor.getSnapshot().value);
  const { ignoredEvents: countedEventFirst, ...eventFirstContext } = eventFirst.actor.getSnapshot().context;
  const { ignoredEvents: countedTimerFirst, ...timerFirstContext } = timerFirst.actor.getSnapshot().context;
  expect(eventFirstContext).toEqual(timerFirstContext);
  // A verification that ended cannot count what is sent to it afterwards (the runtime does); one still
  // running counts the late event the same way in either order.
  if (timerFirst.actor.getSnapshot().status === 'active') expect(countedEventFirst).toEqual(countedTimerFirst);
  return eventFirst;
}

const attempts = (run: TieRun) => attemptsOf(run.actor.getSnapshot());
const output = (run: TieRun): VerificationResult => {
  const result = run.actor.getSnapshot().output;
  if (result === undefined) throw new Error('the verification has not ended');
  return result;
};
const dialled = (run: TieRun) => run.commands.flatMap((c) => (c.type === 'dial' ? [c.to] : []));

const afterGreeting: Setup = {
  request: {},
  async prepare(run) {
    await answerAt(run, 'CA1', 1_000);
    await finishPromptAt(run, 'CA1', 4_000);
  },
};

describe('SPEC rule: "Deadlines are judged by event time" — same-millisecond ties', () => {
  it('input timer: # stamped exactly 10 000 ms after the greeting ended is too late in either delivery order', async () => {
    const run = await bothOrders(afterGreeting, { type: 'call.digits', callId: 'CA1', digits: '#' }, 14_000);
    expect(attempts(run)[0]?.result).toBe('no-response');
    expect(attempts(run)[0]?.times.endedAt).toBe(14_000);
    expect(attempts(run)[0]?.keysPressed).toBe(0);
    expect(dialled(run)).toEqual([PRIMARY, BACKUP]);
    expect(run.actor.getSnapshot().context.ignoredEvents.stale).toBe(1);
  });

  it('input timer: # stamped 9 999 ms after the greeting ended approves', async () => {
    const run = await startTieRun({ targets: [PRIMARY, BACKUP] });
    await afterGreeting.prepare(run);
    await run.advanceTo(13_999);
    await run.deliver({ type: 'call.digits', callId: 'CA1', digits: '#' }, 13_999);
    expect(output(run).status).toBe('approved');
  });

  it('input timer: the last key of an entry stamped exactly at the deadline does not complete it; the re-prompt follows', async () => {
    const setup: Setup = {
      request: { mode: 'pin' },
      options: { verifyPin: (entry) => entry === '4821' },
      async prepare(run) {
        await afterGreeting.prepare(run);
        await run.advanceTo(6_000);
        await run.deliver({ type: 'call.digits', callId: 'CA1', digits: '4821' }, 6_000);
      },
    };
    const run = await bothOrders(setup, { type: 'call.digits', callId: 'CA1', digits: '#' }, 16_000);
    // 4821 timed out as an invalid entry; the # then starts a new entry during the re-prompt (an empty PIN).
    expect(attempts(run)[0]?.invalidEntries).toBe(2);
    expect(run.commands.filter((c) => c.type === 'playPrompt').map((c) => c.type === 'playPrompt' && c.kind)).toEqual([
      'greeting',
      'invalid-entry',
      'incorrect-pin',
    ]);
  });

  it("input timer owned by the provider: a key exactly at the machine's own watchdog (timeout + grace) is too late", async () => {
    const setup: Setup = { ...afterGreeting, options: { providerEnforcesInputTimeout: true } };
    const run = await bothOrders(setup, { type: 'call.digits', callId: 'CA1', digits: '#' }, 4_000 + 10_000 + 5_000);
    expect(attempts(run)[0]?.result).toBe('no-response');
    expect(dialled(run)).toEqual([PRIMARY, BACKUP]);
  });

  it("input timer owned by the provider: a key inside the grace still counts (the provider's own decision)", async () => {
    const run = await startTieRun({ targets: [PRIMARY, BACKUP] }, { providerEnforcesInputTimeout: true });
    await afterGreeting.prepare(run);
    await run.advanceTo(18_999);
    await run.deliver({ type: 'call.digits', callId: 'CA1', digits: '#' }, 18_999);
    expect(output(run).status).toBe('approved');
  });

  it('ring timer: an answer stamped exactly at the ring deadline (first ring + ringTimeoutMs) is too late; the call is hung up and the backup dialled', async () => {
    const setup: Setup = {
      request: { timing: { ringTimeoutMs: 20_000 } },
      async prepare(run) {
        await run.advanceTo(100);
        await run.deliver({ type: 'call.dialed', attempt: 0, callId: 'CA1' }, 100);
        await run.deliver({ type: 'call.ringing', callId: 'CA1' }, 100);
      },
    };
    const run = await bothOrders(setup, { type: 'call.answered', callId: 'CA1' }, 20_100);
    expect(attempts(run)[0]).toMatchObject({ result: 'no-answer', timedOut: 'ring' });
    expect(attempts(run)[0]?.times.answeredAt).toBeNull();
    expect(run.commands.filter((c) => c.type === 'hangUp').map((c) => c.type === 'hangUp' && c.callId)).toEqual([
      'CA1',
    ]);
    expect(dialled(run)).toEqual([PRIMARY, BACKUP]);
  });

  it('dial bound: a dial acknowledged exactly at `dialTimeoutMs` is a failed attempt, and the late call is hung up', async () => {
    const setup: Setup = { request: { timing: { ringTimeoutMs: 20_000, dialTimeoutMs: 20_000 } }, async prepare() {} };
    const run = await bothOrders(setup, { type: 'call.dialed', attempt: 0, callId: 'CA1' }, 20_000);
    expect(attempts(run)[0]).toMatchObject({ result: 'failed', timedOut: 'dial' });
    expect(run.commands.filter((c) => c.type === 'hangUp').map((c) => c.type === 'hangUp' && c.callId)).toEqual([
      'CA1',
    ]);
  });

  it('greeting watchdog: a key exactly at the watchdog lands after the machine stopped waiting for the prompt', async () => {
    const setup: Setup = {
      request: {},
      async prepare(run) {
        await answerAt(run, 'CA1', 1_000);
      },
    };
    const run = await bothOrders(setup, { type: 'call.digits', callId: 'CA1', digits: '#' }, 31_000);
    // The watchdog ends the greeting at 31 000; the # is then a key after the greeting, and approves.
    expect(output(run).status).toBe('approved');
    expect(attempts(run)[0]?.times.greetingEndedAt).toBe(31_000);
  });

  it('extension watchdog: a hang-up exactly at the watchdog happens during the greeting, so it is a denial', async () => {
    const setup: Setup = {
      request: { targets: [{ number: PRIMARY, extension: '1234' }, BACKUP] },
      async prepare(run) {
        await answerAt(run, 'CA1', 1_000);
      },
    };
    const run = await bothOrders(setup, { type: 'call.ended', callId: 'CA1', ending: { status: 'completed' } }, 31_000);
    expect(output(run).status).toBe('denied');
    expect(dialled(run)).toEqual([PRIMARY]);
  });

  it('total deadline: # stamped exactly at maxTotalMs is too late: expired, not approved', async () => {
    const setup: Setup = {
      request: { timing: { maxTotalMs: 12_000 } },
      async prepare(run) {
        await answerAt(run, 'CA1', 1_000);
        await finishPromptAt(run, 'CA1', 4_000);
      },
    };
    const run = await bothOrders(setup, { type: 'call.digits', callId: 'CA1', digits: '#' }, 12_000);
    expect(output(run).status).toBe('expired');
    expect(output(run).endedAt).toBe(12_000);
    expect(output(run).ignoredEvents.stale).toBe(1);
  });

  it('total deadline: a PIN check that answers after it, before its timer ran, is too late: expired, not approved', async () => {
    let answer: (right: boolean) => void = () => undefined;
    const run = await startTieRun(
      { targets: [PRIMARY], mode: 'pin', timing: { maxTotalMs: 12_000 } },
      { verifyPin: () => new Promise<boolean>((resolve) => (answer = resolve)) },
    );
    await answerAt(run, 'CA1', 1_000);
    await finishPromptAt(run, 'CA1', 4_000);
    await run.advanceTo(5_000);
    await run.deliver({ type: 'call.digits', callId: 'CA1', digits: '1234#' }, 5_000);
    // The verifier held the thread past the deadline: it answers before the overdue timer runs.
    run.clock.setNow(12_500);
    answer(true);
    await flush();
    await run.advanceTo(12_500);
    expect(output(run)).toMatchObject({ status: 'expired', endedAt: 12_000 });
    expect(output(run).attempts[0]?.result).toBe('canceled');
  });

  it('total deadline: a number check that answers after it, before its timer ran, dials nothing: expired', async () => {
    let answer: (result: NumberCheckResult) => void = () => undefined;
    const run = await startTieRun(
      { targets: [PRIMARY], timing: { maxTotalMs: 12_000 } },
      { checkNumber: () => new Promise<NumberCheckResult>((resolve) => (answer = resolve)) },
    );
    run.clock.setNow(12_500);
    answer({ ok: true, e164: PRIMARY, extension: null, country: 'US' });
    await flush();
    await run.advanceTo(12_500);
    expect(output(run)).toMatchObject({ status: 'expired', endedAt: 12_000 });
    expect(dialled(run)).toEqual([]);
  });

  it('total deadline: a cancel stamped exactly at maxTotalMs finds the verification expired', async () => {
    const setup: Setup = { request: { timing: { maxTotalMs: 12_000 } }, prepare: afterGreeting.prepare };
    const run = await bothOrders(setup, { type: 'verification.cancel' }, 12_000);
    expect(output(run).status).toBe('expired');
  });

  it("deadlines passed before a late event fire in due order, each at its own time; then time is the event's", async () => {
    const run = await startTieRun({
      targets: [PRIMARY, BACKUP],
      timing: { ringTimeoutMs: 5_000, dialTimeoutMs: 5_000 },
    });
    await afterGreeting.prepare(run);
    // Nothing ran from 4 000 to 30 000: the input timer (14 000) rolled over to the backup, whose number
    // is checked and dialled when the machine runs again, at 30 000; the key belongs to a call long gone.
    run.clock.setNow(30_000);
    await run.deliver({ type: 'call.digits', callId: 'CA1', digits: '#' }, 30_000);
    expect(attempts(run).map((a) => [a.result, a.times.endedAt])).toEqual([
      ['no-response', 14_000],
      [null, null],
    ]);
    expect(attempts(run)[1]?.times.dialedAt).toBe(30_000);
    expect(run.actor.getSnapshot().context.ignoredEvents.stale).toBe(1);

    await run.advanceTo(35_000);
    expect(attempts(run)[1]?.result).toBe('failed');
    expect(attempts(run)[1]?.times.endedAt).toBe(35_000);
  });

  it('a host tick replays the deadlines due by its time, in order, and nothing more', async () => {
    const run = await startTieRun({ targets: [PRIMARY, BACKUP] });
    await afterGreeting.prepare(run);
    run.clock.setNow(13_999);
    await run.deliver({ type: 'verification.tick', at: 13_999 }, 13_999);
    expect(attempts(run)[0]?.result).toBeNull();
    run.clock.setNow(14_000);
    await run.deliver({ type: 'verification.tick', at: 14_000 }, 14_000);
    expect(attempts(run)[0]?.result).toBe('no-response');
    expect(run.actor.getSnapshot().context.ignoredEvents).toEqual({
      stale: 0,
      duplicate: 0,
      outOfOrder: 0,
      unexpected: 0,
    });
  });

  it('a tick says what time it is and never carries an event from outside', () => {
    expect(isWellFormedEvent({ type: 'verification.tick', at: 5_000 })).toBe(true);
    expect(isWellFormedEvent({ type: 'verification.tick' })).toBe(false);
    expect(
      isWellFormedEvent({
        type: 'verification.tick',
        at: 5_000,
        redeliver: { type: 'call.digits', callId: 'CA1', digits: '#' },
      }),
    ).toBe(false);
  });
});
