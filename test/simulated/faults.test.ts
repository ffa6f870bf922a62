import { describe, expect, it } from 'vitest';
import type { ProviderEvent } from '../../src/index.js';
import { type Delivery, FaultSchedule } from '../../src/providers/simulated/faults.js';
import type { RandomSource } from '../../src/providers/simulated/random.js';

/** A random source that plays back the given values. */
const replay = (...values: number[]): RandomSource => {
  let i = 0;
  return () => values[i++] ?? 0.999;
};

const key = (digits: string): ProviderEvent => ({ type: 'call.digits', callId: 'CA1', digits });

describe('fault schedule', () => {
  it('a key sent at the moment an earlier, delayed key arrives is delivered after it, through the clock', () => {
    // Draws per key: delay?, how long, stale copy?. First key: delayed by round(0.35 × 100) = 35 ms.
    // Second key, sent 35 ms later: not delayed.
    const schedule = new FaultSchedule({ delay: 0.5, maxDelayMs: 100 }, replay(0, 0.35, 0.999, 0.999, 0.999), () => {});
    const first = schedule.deliveriesFor(key('4'), 1_000, []);
    const second = schedule.deliveriesFor(key('#'), 1_035, []);
    expect(first).toEqual<Delivery[]>([{ event: key('4'), delayMs: 35, queued: true }]);
    // Due together with the first: queued, so that timers due together keep their order.
    expect(second).toEqual<Delivery[]>([{ event: key('#'), delayMs: 0, queued: true }]);
  });

  it('an event after earlier ones have arrived goes out at once', () => {
    const schedule = new FaultSchedule({ delay: 0.5, maxDelayMs: 100 }, replay(0, 0.1, 0.999, 0.999, 0.999), () => {});
    schedule.deliveriesFor(key('1'), 1_000, []);
    expect(schedule.deliveriesFor(key('#'), 2_000, [])).toEqual<Delivery[]>([
      { event: key('#'), delayMs: 0, queued: false },
    ]);
  });

  it('key presses are never dropped or duplicated', () => {
    const schedule = new FaultSchedule(
      { drop: 1, duplicate: 1 },
      () => 0,
      () => {},
    );
    expect(schedule.deliveriesFor(key('5'), 0, [])).toHaveLength(1);
    expect(schedule.deliveriesFor({ type: 'call.ringing', callId: 'CA1' }, 0, [])).toEqual([]);
  });
});
