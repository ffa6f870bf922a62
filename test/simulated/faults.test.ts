import { describe, expect, it } from 'vitest';
import type { ProviderEvent } from '../../src/index.js';
import { type Delivery, disturbsEvents, FaultSchedule } from '../../src/providers/simulated/faults.js';
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

  it('a plan that disturbs nothing delivers every event at once, as sent, whatever the draws', () => {
    const quiet = [{}, { delay: 0, duplicate: 0, drop: 0, stale: 0, reorderWindowMs: 0 }, { maxDelayMs: 500 }];
    const events: ProviderEvent[] = [
      { type: 'call.dialed', attempt: 1, callId: 'CA1' },
      { type: 'call.ringing', callId: 'CA1' },
      { type: 'call.answeredBy', callId: 'CA1', answeredBy: 'human' },
      key('#'),
      { type: 'call.ended', callId: 'CA1', ending: { status: 'completed' } },
    ];
    for (const plan of quiet) {
      expect(disturbsEvents(plan)).toBe(false);
      for (const draw of [0, 0.5, 0.999]) {
        const schedule = new FaultSchedule(
          plan,
          () => draw,
          () => {},
        );
        for (const [i, event] of events.entries()) {
          expect(schedule.deliveriesFor(event, i * 10, ['CA0'])).toEqual<Delivery[]>([
            { event, delayMs: 0, queued: false },
          ]);
        }
      }
    }
  });

  it('a plan with any chance of a fault, or a reorder window, disturbs events', () => {
    for (const plan of [{ delay: 0.1 }, { duplicate: 0.1 }, { drop: 0.1 }, { stale: 0.1 }, { reorderWindowMs: 50 }]) {
      expect(disturbsEvents(plan)).toBe(true);
    }
  });
});
