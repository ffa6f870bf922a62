/**
 * The dial pacer on virtual time: creates no faster than the rate, a bounded
 * queue, dials refused when they could not be placed by their deadline, and
 * "too many requests" retried with back-off — nothing is sent for a dial it
 * refuses.
 */
import { describe, expect, it } from 'vitest';
import {
  DIAL_QUEUE_DEADLINE,
  DIAL_QUEUE_FULL,
  DIAL_WITHDRAWN,
  DialPacer,
  type DialPacerOptions,
  DialRefusedError,
} from '../../src/providers/twilio/dialPacer.js';
import { isTooManyRequests } from '../../src/providers/twilio/twilioEffects.js';
import { VirtualClock } from '../../src/runtime/clock.js';

const TOO_MANY_REQUESTS = Object.assign(new Error('Too Many Requests'), { status: 429, code: 20429 });
const INVALID_NUMBER = Object.assign(new Error('Not a valid phone number'), { status: 400, code: 21217 });

/** A create endpoint that records when it was called and answers from a script (default: accepted). */
function endpoint(clock: VirtualClock, script: (call: number) => Error | null = () => null) {
  const sentAt: number[] = [];
  const create = async (): Promise<{ sid: string }> => {
    sentAt.push(clock.now());
    const failure = script(sentAt.length);
    if (failure !== null) throw failure;
    return { sid: `CA${sentAt.length}` };
  };
  return { sentAt, create };
}

function pacer(clock: VirtualClock, options: Partial<DialPacerOptions> = {}): DialPacer {
  return new DialPacer({
    callsPerSecond: 1,
    maxQueuedDials: 100,
    clock,
    isRateLimited: isTooManyRequests,
    ...options,
  });
}

/** What a place call ended with, for comparison. */
const outcome = <T>(placing: Promise<T>): Promise<T | { refused: string } | { failed: unknown }> =>
  placing.catch((error: unknown) =>
    error instanceof DialRefusedError ? { refused: error.reason } : { failed: (error as { code?: unknown }).code },
  );

const gaps = (times: readonly number[]): number[] => times.slice(1).map((time, i) => time - (times[i] as number));

describe('the dial pacer', () => {
  it.each([
    [1, 1_000],
    [0.5, 2_000],
    [4, 250],
    [100, 10],
  ])('sends a burst at %d per second, %d ms apart, in arrival order', async (callsPerSecond, spacing) => {
    const clock = new VirtualClock({ start: 5_000 });
    const { sentAt, create } = endpoint(clock);
    const dials = pacer(clock, { callsPerSecond });
    const placed = await Promise.all(Array.from({ length: 6 }, () => dials.place(create)));
    expect(gaps(sentAt)).toEqual(Array(5).fill(spacing));
    expect(sentAt[0]).toBe(5_000);
    expect(placed.map((p) => p.value.sid)).toEqual(['CA1', 'CA2', 'CA3', 'CA4', 'CA5', 'CA6']);
    expect(placed.map((p) => p.waitMs)).toEqual(Array.from({ length: 6 }, (_, i) => i * spacing));
  });

  it('sends a dial whose turn it is in the same tick, and reports no queueing for it', () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const { sentAt, create } = endpoint(clock);
    const queued: unknown[] = [];
    void pacer(clock).place(create, { onQueued: (q) => queued.push(q) });
    expect(sentAt).toEqual([0]);
    expect(queued).toEqual([]);
  });

  it('spaces a dial after the last one sent, not after the queue emptied', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const { sentAt, create } = endpoint(clock);
    const dials = pacer(clock);
    void dials.place(create);
    clock.advanceBy(400);
    const second = dials.place(create);
    clock.advanceBy(599);
    expect(sentAt).toEqual([0]);
    clock.advanceBy(1);
    await second;
    clock.advanceBy(5_000);
    await dials.place(create);
    expect(sentAt).toEqual([0, 1_000, 6_000]);
  });

  it('reports the queue: how many wait, this one included, and how long this one is expected to', async () => {
    const clock = new VirtualClock();
    const { create } = endpoint(clock);
    const dials = pacer(clock);
    const queued: { queueLength: number; waitMs: number }[] = [];
    await Promise.all(Array.from({ length: 4 }, () => dials.place(create, { onQueued: (q) => queued.push(q) })));
    expect(queued).toEqual([
      { queueLength: 1, waitMs: 1_000 },
      { queueLength: 2, waitMs: 2_000 },
      { queueLength: 3, waitMs: 3_000 },
    ]);
    expect(dials.queueLength).toBe(0);
  });

  it('refuses a dial at once when maxQueuedDials wait already, and sends nothing for it', async () => {
    const clock = new VirtualClock();
    const { sentAt, create } = endpoint(clock);
    const dials = pacer(clock, { maxQueuedDials: 2 });
    const outcomes = Array.from({ length: 4 }, () => outcome(dials.place(create)));
    // The refusal comes before any queued dial is sent.
    expect(await outcomes[3]).toEqual({ refused: DIAL_QUEUE_FULL });
    expect(sentAt).toEqual([0]);
    expect((await Promise.all(outcomes)).slice(0, 3).map((o) => 'value' in o)).toEqual([true, true, true]);
    expect(sentAt).toEqual([0, 1_000, 2_000]);
    // Once the queue drained, dials are taken again.
    expect(await outcome(dials.place(create))).toMatchObject({ retries: 0 });
  });

  it('with maxQueuedDials 0 sends a dial whose turn it is and refuses every one that would wait', async () => {
    const clock = new VirtualClock();
    const { sentAt, create } = endpoint(clock);
    const dials = pacer(clock, { maxQueuedDials: 0 });
    const [first, second] = [outcome(dials.place(create)), outcome(dials.place(create))];
    expect(await second).toEqual({ refused: DIAL_QUEUE_FULL });
    expect(await first).toMatchObject({ waitMs: 0 });
    expect(sentAt).toEqual([0]);
  });

  it('refuses a dial that would be sent after its deadline, at once, and keeps the others', async () => {
    const clock = new VirtualClock();
    const { sentAt, create } = endpoint(clock);
    const dials = pacer(clock);
    const placeBy = 2_500;
    const outcomes = Array.from({ length: 4 }, () => outcome(dials.place(create, { placeBy })));
    expect(await outcomes[3]).toEqual({ refused: DIAL_QUEUE_DEADLINE });
    expect(sentAt).toEqual([0]);
    await Promise.all(outcomes);
    expect(sentAt).toEqual([0, 1_000, 2_000]);
  });

  it('sends a dial whose turn it is even when its deadline has passed: waiting could only make it later', async () => {
    const clock = new VirtualClock({ start: 10_000 });
    const { sentAt, create } = endpoint(clock);
    expect(await outcome(pacer(clock).place(create, { placeBy: 9_000 }))).toMatchObject({ waitMs: 0 });
    expect(sentAt).toEqual([10_000]);
  });

  it('retries "too many requests" after 1 s, then 2 s, each retry taking a slot', async () => {
    const clock = new VirtualClock();
    const { sentAt, create } = endpoint(clock, (n) => (n <= 2 ? TOO_MANY_REQUESTS : null));
    const placed = await pacer(clock).place(create);
    expect(sentAt).toEqual([0, 1_000, 3_000]);
    expect(placed).toEqual({ value: { sid: 'CA3' }, waitMs: 3_000, retries: 2 });
  });

  it('retries an HTTP 429 that carries no Twilio code, or the code as text, as "too many requests"', async () => {
    const clock = new VirtualClock();
    const bare429 = Object.assign(new Error('Too Many Requests'), { status: 429 });
    const textCode = Object.assign(new Error('Too Many Requests'), { code: '20429' });
    const { sentAt, create } = endpoint(clock, (n) => (n === 1 ? bare429 : n === 2 ? textCode : null));
    const placed = await pacer(clock).place(create);
    expect(sentAt).toEqual([0, 1_000, 3_000]);
    expect(placed.retries).toBe(2);
  });

  it('puts a retry ahead of the dials queued meanwhile, and keeps every create a slot apart', async () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    const sentAt: number[] = [];
    let refusedOnce = false;
    const create = (name: string) => async () => {
      sentAt.push(clock.now());
      order.push(name);
      if (name === 'a' && !refusedOnce) {
        refusedOnce = true;
        throw TOO_MANY_REQUESTS;
      }
      return { sid: name };
    };
    const dials = pacer(clock);
    await Promise.all(['a', 'b', 'c', 'd'].map((name) => dials.place(create(name))));
    expect(order).toEqual(['a', 'b', 'a', 'c', 'd']);
    expect(gaps(sentAt).every((gap) => gap >= 1_000)).toBe(true);
  });

  it('gives up after three retries with the last "too many requests" error', async () => {
    const clock = new VirtualClock();
    const { sentAt, create } = endpoint(clock, () => TOO_MANY_REQUESTS);
    expect(await outcome(pacer(clock).place(create))).toEqual({ failed: 20429 });
    expect(sentAt).toEqual([0, 1_000, 3_000, 7_000]);
  });

  it('gives up with "too many requests" when the next back-off would end after the deadline', async () => {
    const clock = new VirtualClock();
    const { sentAt, create } = endpoint(clock, () => TOO_MANY_REQUESTS);
    expect(await outcome(pacer(clock).place(create, { placeBy: 5_000 }))).toEqual({ failed: 20429 });
    expect(sentAt).toEqual([0, 1_000, 3_000]);
  });

  it('gives a dial whose deadline passed while a retry went first the deadline refusal, and sends nothing for it', async () => {
    const clock = new VirtualClock();
    const sentAt: string[] = [];
    let refused = 0;
    const create = (name: string) => async () => {
      sentAt.push(`${name}@${clock.now()}`);
      if (name === 'a' && refused++ === 0) throw TOO_MANY_REQUESTS;
      return { sid: name };
    };
    const dials = pacer(clock);
    const a = outcome(dials.place(create('a')));
    const b = outcome(dials.place(create('b'), { placeBy: 1_000 }));
    // Expected at 2 000, just in time — but a's retry, back at 1 000, goes first and takes that slot.
    const c = outcome(dials.place(create('c'), { placeBy: 2_000 }));
    expect(await b).toMatchObject({ waitMs: 1_000 });
    expect(await a).toMatchObject({ retries: 1 });
    expect(await c).toEqual({ refused: DIAL_QUEUE_DEADLINE });
    expect(sentAt).toEqual(['a@0', 'b@1000', 'a@2000']);
  });

  it('does not retry other errors', async () => {
    const clock = new VirtualClock();
    const { sentAt, create } = endpoint(clock, () => INVALID_NUMBER);
    expect(await outcome(pacer(clock).place(create))).toEqual({ failed: 21217 });
    expect(sentAt).toEqual([0]);
  });

  it('withdraws a dial waiting in the queue or backing off when its signal aborts; the next one moves up', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const sent: string[] = [];
    const create =
      (name: string, fail = false) =>
      async () => {
        sent.push(`${name}@${clock.now()}`);
        if (fail) throw TOO_MANY_REQUESTS;
        return { sid: name };
      };
    const dials = pacer(clock);
    const first = new AbortController();
    const second = new AbortController();
    const a = outcome(dials.place(create('a', true), { signal: first.signal }));
    const b = outcome(dials.place(create('b'), { signal: second.signal }));
    const c = outcome(dials.place(create('c')));
    await Promise.resolve();
    second.abort();
    expect(await b).toEqual({ refused: DIAL_WITHDRAWN });
    first.abort(); // a is backing off after its "too many requests"
    expect(await a).toEqual({ refused: DIAL_WITHDRAWN });
    expect(dials.queueLength).toBe(1);
    clock.advanceBy(1_000);
    expect(await c).toMatchObject({ waitMs: 1_000 });
    expect(sent).toEqual(['a@0', 'c@1000']);
    // A dial whose signal has aborted already is not taken.
    expect(await outcome(dials.place(create('d'), { signal: first.signal }))).toEqual({ refused: DIAL_WITHDRAWN });
  });
});
