/**
 * The virtual clock: timers fire in due order, ties in scheduling order, time
 * jumps to each timer, cancelled timers never fire — however many are pending
 * or cancelled. A property drives the clock and a plain reference model (a
 * list scanned for the earliest timer) through the same random operations,
 * including timers that schedule and cancel others as they fire, and many
 * cancellations at once, and compares every firing.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VoiceMfaError } from '../../src/errors.js';
import { type TimerHandle, VirtualClock } from '../../src/runtime/clock.js';
import { assertProperty, PROPERTY_TIMEOUT_MS } from '../properties/support/property.js';

/** The clock's operations the tests use. */
interface ManualClock {
  now(): number;
  setTimeout(fn: () => void, timeoutMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  fireNext(): boolean;
  advanceBy(ms: number): void;
  readonly pendingTimers: number;
}

/** The obvious clock: a list, scanned for the earliest timer each time. */
class ReferenceClock implements ManualClock {
  private current = 0;
  private nextId = 1;
  private timers: { id: number; due: number; fn: () => void }[] = [];

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, timeoutMs: number): TimerHandle {
    const delay = Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 0;
    const id = this.nextId++;
    this.timers.push({ id, due: this.current + delay, fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  private earliest(): { id: number; due: number; fn: () => void } | undefined {
    let best: { id: number; due: number; fn: () => void } | undefined;
    for (const timer of this.timers) {
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.id < best.id)) best = timer;
    }
    return best;
  }

  fireNext(): boolean {
    const timer = this.earliest();
    if (timer === undefined) return false;
    this.timers = this.timers.filter((t) => t !== timer);
    this.current = Math.max(this.current, timer.due);
    timer.fn();
    return true;
  }

  advanceBy(ms: number): void {
    const end = this.current + Math.max(0, ms);
    for (let next = this.earliest(); next !== undefined && next.due <= end; next = this.earliest()) this.fireNext();
    this.current = end;
  }
}

/** What a timer does when it fires, besides being recorded. */
type OnFire = { kind: 'nothing' } | { kind: 'schedule'; delay: number } | { kind: 'cancel'; pick: number };

type Operation =
  | { kind: 'schedule'; delay: number; onFire: OnFire }
  | { kind: 'scheduleMany'; delays: number[] }
  | { kind: 'cancel'; pick: number }
  | { kind: 'cancelAllBut'; keepEvery: number }
  | { kind: 'fireNext' }
  | { kind: 'advanceBy'; ms: number };

/** How long a test that starts a process loading TypeScript through tsx is given: seconds on a busy machine. */
const CHILD_TEST_TIMEOUT_MS = 30_000;

/** Runs `script`, an ES module given `VirtualClock`, in a process of its own. */
function runWithVirtualClock(script: string): { stdout: string; stderr: string } {
  const clockModule = JSON.stringify(fileURLToPath(new URL('../../src/runtime/clock.ts', import.meta.url)));
  const source = `const { VirtualClock } = await import(${clockModule});\n${script}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    encoding: 'utf8',
    timeout: CHILD_TEST_TIMEOUT_MS - 5_000,
  });
}

// Few distinct delays, so that ties are common; plus the odd values setTimeout must tolerate.
const delayArbitrary = fc.oneof(
  fc.constantFrom(0, 1, 5, 10, 10, 30, 1000),
  fc.integer({ min: 0, max: 2000 }),
  fc.constantFrom(-5, Number.NaN, Number.POSITIVE_INFINITY, 2.5),
);

const onFireArbitrary: fc.Arbitrary<OnFire> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'nothing' as const }) },
  fc.record({ kind: fc.constant('schedule' as const), delay: delayArbitrary }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
);

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('schedule' as const), delay: delayArbitrary, onFire: onFireArbitrary }),
  },
  fc.record({
    kind: fc.constant('scheduleMany' as const),
    delays: fc.array(fc.constantFrom(0, 1, 10, 100, 1000), { minLength: 1, maxLength: 150, size: 'max' }),
  }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  fc.record({ kind: fc.constant('cancelAllBut' as const), keepEvery: fc.integer({ min: 2, max: 10 }) }),
  { weight: 2, arbitrary: fc.constant({ kind: 'fireNext' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('advanceBy' as const), ms: fc.constantFrom(0, 1, 9, 10, 500, 5000) }),
  },
);

/** Runs `operations` on `clock` and returns what was observed: each firing and the readings after each operation. */
function drive(clock: ManualClock, operations: readonly Operation[]): string[] {
  const log: string[] = [];
  const handles: TimerHandle[] = [];
  let label = 0;
  const schedule = (delay: number, onFire: OnFire): void => {
    const name = `t${label++}`;
    handles.push(
      clock.setTimeout(() => {
        log.push(`fire ${name} at ${clock.now()}`);
        if (onFire.kind === 'schedule') schedule(onFire.delay, { kind: 'nothing' });
        if (onFire.kind === 'cancel' && handles.length > 0)
          clock.clearTimeout(handles[onFire.pick % handles.length] as TimerHandle);
      }, delay),
    );
  };
  for (const operation of operations) {
    switch (operation.kind) {
      case 'schedule':
        schedule(operation.delay, operation.onFire);
        break;
      case 'scheduleMany':
        for (const delay of operation.delays) schedule(delay, { kind: 'nothing' });
        break;
      case 'cancel':
        if (handles.length > 0) clock.clearTimeout(handles[operation.pick % handles.length] as TimerHandle);
        break;
      case 'cancelAllBut':
        // Most timers cancelled at once: the clock rebuilds its heap without them.
        handles.forEach((handle, index) => {
          if (index % operation.keepEvery !== 0) clock.clearTimeout(handle);
        });
        break;
      case 'fireNext':
        log.push(`fireNext ${clock.fireNext()}`);
        break;
      case 'advanceBy':
        clock.advanceBy(operation.ms);
        break;
    }
    log.push(`now ${clock.now()} pending ${clock.pendingTimers}`);
  }
  // Drain what is left, so that every timer's fate is compared.
  while (clock.fireNext());
  log.push(`drained at ${clock.now()} pending ${clock.pendingTimers}`);
  return log;
}

describe('VirtualClock', () => {
  it(
    'fires, cancels and counts exactly as a list scanned for the earliest timer',
    async () => {
      await assertProperty(fc.array(operationArbitrary, { maxLength: 60 }), async (operations) => {
        expect(drive(new VirtualClock({ autoAdvance: false }), operations)).toEqual(
          drive(new ReferenceClock(), operations),
        );
      });
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('fires timers due at the same time in the order they were scheduled', () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const fired: number[] = [];
    // Interleave due times so that heap order alone would not give scheduling order.
    for (let i = 0; i < 200; i++) clock.setTimeout(() => fired.push(i), (i % 3) * 10);
    clock.advanceBy(20);
    const expected = [0, 1, 2].flatMap((slot) =>
      Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 3 === slot),
    );
    expect(fired).toEqual(expected);
  });

  it('fires a timer scheduled at the current time during advanceBy after those already due then', () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push('a');
      clock.setTimeout(() => fired.push(`c at ${clock.now()}`), 0);
    }, 10);
    clock.setTimeout(() => fired.push('b'), 10);
    clock.advanceBy(10);
    expect(fired).toEqual(['a', 'b', 'c at 10']);
    expect(clock.now()).toBe(10);
  });

  it('ignores cancelling a timer that already fired, was already cancelled, or never existed', () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const fired: string[] = [];
    const first = clock.setTimeout(() => fired.push('first'), 1);
    const second = clock.setTimeout(() => fired.push('second'), 2);
    clock.setTimeout(() => fired.push('third'), 3);
    clock.fireNext();
    clock.clearTimeout(first);
    clock.clearTimeout(second);
    clock.clearTimeout(second);
    clock.clearTimeout(12345);
    clock.clearTimeout(undefined);
    expect(clock.pendingTimers).toBe(1);
    clock.advanceBy(10);
    expect(fired).toEqual(['first', 'third']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps order and counts when most timers are cancelled (the heap is rebuilt without them)', () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const fired: number[] = [];
    const handles = Array.from({ length: 10_000 }, (_, i) => clock.setTimeout(() => fired.push(i), 10_000 - i));
    // Cancel all but every hundredth, in an order unrelated to due times.
    handles.forEach((handle, i) => {
      if (i % 100 !== 0) clock.clearTimeout(handle);
    });
    expect(clock.pendingTimers).toBe(100);
    clock.setTimeout(() => fired.push(-1), 10_000);
    clock.advanceBy(10_000);
    expect(fired).toEqual([...Array.from({ length: 100 }, (_, k) => 9_900 - k * 100), -1]);
    expect(clock.pendingTimers).toBe(0);
    expect(clock.fireNext()).toBe(false);
  });

  it('cancels a timer from inside another one that fires at the same time', () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const fired: string[] = [];
    let later: TimerHandle;
    clock.setTimeout(() => {
      fired.push('first');
      clock.clearTimeout(later);
    }, 5);
    later = clock.setTimeout(() => fired.push('later'), 5);
    clock.advanceBy(5);
    expect(fired).toEqual(['first']);
    expect(clock.pendingTimers).toBe(0);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, -1])(
    'refuses to advance by %d with a typed error, and its time and timers stay as they were',
    (ms) => {
      const clock = new VirtualClock({ start: 100, autoAdvance: false });
      const fired: number[] = [];
      clock.setTimeout(() => fired.push(clock.now()), 1_000);
      expect(() => clock.advanceBy(ms)).toThrow(
        expect.objectContaining({ name: 'VoiceMfaError', code: 'INVALID_CONFIGURATION' }),
      );
      expect(clock.now()).toBe(100);
      clock.advanceBy(5_000);
      expect(fired).toEqual([1_100]);
      expect(clock.now()).toBe(5_100);
    },
  );

  it('refuses a start that is not a finite number, and a runUntilIdle limit that is negative or not a number', async () => {
    expect(() => new VirtualClock({ start: Number.NaN })).toThrow(VoiceMfaError);
    expect(() => new VirtualClock({ start: Number.NEGATIVE_INFINITY })).toThrow(/start must be a finite number/);
    const clock = new VirtualClock({ autoAdvance: false });
    clock.setTimeout(() => {}, 10);
    await expect(clock.runUntilIdle(Number.NaN)).rejects.toThrow(VoiceMfaError);
    await expect(clock.runUntilIdle(-1)).rejects.toThrow(/maxTimers\) must be a number at least 0, not -1/);
    expect(clock.pendingTimers).toBe(1);
    await expect(clock.runUntilIdle(Number.POSITIVE_INFINITY)).resolves.toBe(1);
  });

  it('takes a delay that is negative, infinite or not a number as the global setTimeout does: at the current time', () => {
    const clock = new VirtualClock({ start: 50, autoAdvance: false });
    const fired: string[] = [];
    for (const delay of [Number.NaN, -5, Number.POSITIVE_INFINITY]) {
      clock.setTimeout(() => fired.push(`${String(delay)} at ${clock.now()}`), delay);
    }
    clock.advanceBy(0);
    expect(fired).toEqual(['NaN at 50', '-5 at 50', 'Infinity at 50']);
    expect(clock.now()).toBe(50);
  });

  it('a timer that advances the clock past the end of advanceBy leaves it there: time never runs backwards', () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const seen: number[] = [];
    clock.setTimeout(() => clock.advanceBy(500), 10);
    clock.setTimeout(() => seen.push(clock.now()), 300);
    clock.advanceBy(100);
    expect(seen).toEqual([300]);
    expect(clock.now()).toBe(510);
  });

  it('auto-advancing, a callback that throws fails as a real timer does, and the timers after it still fire', {
    timeout: CHILD_TEST_TIMEOUT_MS,
  }, () => {
    // In a process of its own: the throw is an uncaught exception there, as a real timer's.
    const script = `
      const clock = new VirtualClock();
      const caught = [];
      process.on('uncaughtException', (error) => caught.push(error.message));
      const fired = [];
      clock.setTimeout(() => { throw new Error('boom'); }, 10);
      clock.setTimeout(() => fired.push(clock.now()), 20);
      setTimeout(() => console.log(JSON.stringify({ caught, fired, pending: clock.pendingTimers })), 100);
    `;
    const run = runWithVirtualClock(script);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ caught: ['boom'], fired: [20], pending: 0 });
  });

  it('auto-advancing, the promise callbacks a callback started before it threw still run before the next timer', {
    timeout: CHILD_TEST_TIMEOUT_MS,
  }, () => {
    // In a process of its own, as above.
    const script = `
      const clock = new VirtualClock();
      const seen = [];
      process.on('uncaughtException', (error) => seen.push('caught ' + error.message));
      clock.setTimeout(() => {
        (async () => {
          for (let i = 0; i < 5; i++) await null;
          seen.push('its promise callbacks done');
        })();
        throw new Error('boom');
      }, 10);
      clock.setTimeout(() => seen.push('next timer at ' + clock.now()), 20);
      setTimeout(() => console.log(JSON.stringify(seen)), 100);
    `;
    const run = runWithVirtualClock(script);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(['caught boom', 'its promise callbacks done', 'next timer at 20']);
  });

  it('runs by itself when auto-advancing, and stops once only cancelled timers are left', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const cancelled = clock.setTimeout(() => fired.push(-1), 5_000);
    await new Promise<void>((resolve) => {
      clock.setTimeout(() => {
        fired.push(clock.now());
        resolve();
      }, 10_000);
      clock.setTimeout(() => fired.push(clock.now()), 1_000);
      clock.clearTimeout(cancelled);
    });
    expect(fired).toEqual([1_000, 10_000]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('auto-advancing, the promise callbacks a timer starts all run before the next timer fires', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 40; i++) {
        clock.setTimeout(
          async () => {
            // A chain of promise callbacks, as a provider's or a host check's work between timers.
            for (let step = 0; step < 25; step++) await null;
            seen.push(`chain ${i} done at ${clock.now()}`);
            if (i === 39) resolve();
          },
          (i + 1) * 100,
        );
      }
    });
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => `chain ${i} done at ${(i + 1) * 100}`));
  });

  it('auto-advancing, fires up to 16 timers in one turn of the event loop and then lets the loop run', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    for (let i = 1; i <= 40; i++) clock.setTimeout(() => fired.push(i), i);
    // Queued after the clock's first run: it sees that run's timers, and no more.
    const afterFirstTurn = await new Promise<number>((resolve) => setImmediate(() => resolve(fired.length)));
    expect(afterFirstTurn).toBe(16);
    await clock.runUntilIdle();
    expect(fired).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('auto-advancing, a timer that keeps setting another never starves I/O or real timers', async () => {
    const clock = new VirtualClock();
    const cap = 1_000_000;
    let fired = 0;
    let stopped = false;
    const repeat = () => {
      fired++;
      if (!stopped && fired < cap) clock.setTimeout(repeat, 1_000);
    };
    clock.setTimeout(repeat, 1_000);
    // Runs only in a turn of the event loop the clock leaves to others: were it starved, the repeats would run to the cap.
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
    stopped = true;
    await clock.runUntilIdle();
    expect(fired).toBeLessThan(cap);
    expect(clock.pendingTimers).toBe(0);
  });
});
