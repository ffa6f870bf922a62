/**
 * What the durable steps assume of XState, checked on the installed version so
 * that an upgrade that changes any of it fails here, loudly, rather than in a
 * verification: the persisted snapshot's form, a restored actor that keeps its
 * context and arms no timer of its own, and delayed events that go through the
 * given clock (the machine's local fast path for its deadlines).
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { normalizeVerificationRequest } from '../../src/request/normalizeRequest.js';
import { createVerificationMachine } from '../../src/runtime/createVerificationActor.js';
import { persistActor, restoreStepActor } from '../../src/step/machineSnapshots.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function countingClock() {
  const timers: { delay: number; fn: () => void; cleared: boolean }[] = [];
  return {
    timers,
    setTimeout(fn: () => void, delay: number) {
      timers.push({ delay, fn, cleared: false });
      return timers.length - 1;
    },
    clearTimeout(id: unknown) {
      const timer = timers[id as number];
      if (timer !== undefined) timer.cleared = true;
    },
  };
}

const machine = createVerificationMachine();
const input = normalizeVerificationRequest({ targets: ['+14255550100'] }, { startedAt: 1_000 });

async function answeredActor(request = input) {
  const clock = countingClock();
  const actor = createActor(machine, { input: request, clock });
  actor.start();
  await flush();
  actor.send({ type: 'call.dialed', attempt: 0, callId: 'CA1', at: 1_100 });
  actor.send({ type: 'call.answered', callId: 'CA1', at: 2_000 });
  actor.send({ type: 'call.promptFinished', callId: 'CA1', promptSeq: 1, at: 5_000 });
  return { actor, clock };
}

describe('what durable steps assume of XState', () => {
  it('the persisted snapshot has the fields the store keeps, and no running child once settled', async () => {
    const { actor } = await answeredActor();
    const persisted = actor.getPersistedSnapshot() as unknown as Record<string, unknown>;
    expect(Object.keys(persisted).sort()).toEqual([
      'children',
      'context',
      'error',
      'historyValue',
      'output',
      'status',
      'value',
    ]);
    expect(persisted.children).toEqual({});
    expect(JSON.parse(JSON.stringify(persisted))).toEqual(persisted);
  });

  it('a restored actor keeps the context and arms no timer of its own (XState issue 5331): deadlines are data', async () => {
    const { actor } = await answeredActor();
    const clock = countingClock();
    const restored = createActor(machine, { snapshot: actor.getPersistedSnapshot(), input, clock });
    restored.start();
    expect(restored.getSnapshot().context).toEqual(actor.getSnapshot().context);
    expect(restored.getSnapshot().context.deadline).toEqual({ kind: 'input', at: 15_000 });
    expect(clock.timers).toEqual([]);
  });

  it("the machine's one timer goes through the given clock, at the earliest deadline, with its due time in the event", async () => {
    // The input deadline (15 000) comes first: the total one (181 000) waits behind it.
    const waiting = await answeredActor();
    const live = waiting.clock.timers.filter((t) => !t.cleared);
    expect(live.map((t) => t.delay)).toEqual([10_000]);
    // The total deadline (13 000) comes first: the timer fires at it, and the tick says so.
    const short = normalizeVerificationRequest(
      { targets: ['+14255550100'], timing: { maxTotalMs: 12_000 } },
      { startedAt: 1_000 },
    );
    const { actor, clock } = await answeredActor(short);
    const [timer, ...others] = clock.timers.filter((t) => !t.cleared);
    expect(others).toEqual([]);
    expect(timer?.delay).toBe(8_000);
    timer?.fn();
    expect(actor.getSnapshot().output).toMatchObject({ status: 'expired', endedAt: 13_000 });
  });

  it('restoring what persistActor stored gives the same snapshot back', async () => {
    const { actor } = await answeredActor();
    const stored = JSON.parse(JSON.stringify(persistActor(actor)));
    const restored = restoreStepActor(machine, 'v', stored, JSON.parse(JSON.stringify(input)));
    expect(restored.getSnapshot().value).toEqual(actor.getSnapshot().value);
    expect(restored.getSnapshot().context).toEqual(actor.getSnapshot().context);
  });
});
