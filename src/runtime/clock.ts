/**
 * Clocks for the runtime: the system clock, and a virtual clock on which a
 * ten-second timeout costs no real time.
 *
 * @module
 */
import { describeIssues, VoiceMfaError } from '../errors.js';
import { optionNames, unknownOptionIssues } from '../optionNames.js';

/** Opaque handle of a scheduled callback. */
export type TimerHandle = unknown;

/**
 * What the runtime needs of a clock: XState's `Clock` (timers) plus `now()`.
 *
 * @example
 * ```ts
 * const clock: RuntimeClock = systemClock;
 * clock.setTimeout(() => console.log('1 s later'), 1000);
 * ```
 */
export interface RuntimeClock {
  /** Current reading in milliseconds. */
  now(): number;
  /** Calls `fn` once, `timeoutMs` from now. */
  setTimeout(fn: (...args: unknown[]) => void, timeoutMs: number): TimerHandle;
  /** Cancels a callback that has not run yet. */
  clearTimeout(handle: TimerHandle): void;
}

/** The methods a {@link RuntimeClock} has, for checking a clock a host passes. */
export const RUNTIME_CLOCK_METHODS = ['now', 'setTimeout', 'clearTimeout'] as const;

/**
 * The real clock: `Date.now()` and the global timers.
 *
 * @example
 * ```ts
 * await runVerification(request, { provider, clock: systemClock });
 * ```
 */
export const systemClock: RuntimeClock = {
  now: () => Date.now(),
  setTimeout: (fn, timeoutMs) => setTimeout(fn, timeoutMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A timer of a {@link VirtualClock}, which is also its handle. */
class VirtualTimer {
  constructor(
    /** The clock it belongs to: another clock's handle cancels nothing. */
    readonly clock: VirtualClock,
    /** Scheduling order: breaks ties between timers due at the same time. */
    readonly id: number,
    readonly due: number,
    /** What to call; `null` once the timer has fired or was cancelled. */
    public fn: ((...args: unknown[]) => void) | null,
  ) {}
}

/**
 * Auto-advance's ticks queued at once. Immediates queued together run in one
 * turn of the event loop, with promise callbacks drained after each, and a
 * turn (its poll a system call, dear on a virtual machine) can cost more than a
 * simulated verification's step: a seed story fires 11 timers, in one turn
 * instead of 12 (docs/performance.md). Bounded, so that I/O and other
 * immediates still get their turn.
 */
const TICKS_PER_TURN = 16;

/** Timers in the heap that may be cancelled ones before it is rebuilt without them. */
const MIN_CANCELLED_BEFORE_COMPACTION = 64;

/** Whether `a` fires before `b`: earlier due time, ties in scheduling order. */
function firesBefore(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.id < b.id);
}

/** Options of a {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** Reading at creation. Default 0. */
  start?: number;
  /**
   * Run by itself: once pending promise callbacks have run, jump to the next
   * timer and fire it. Default `true`. Up to 16 timers fire in one turn of the
   * event loop, promise callbacks running after each; I/O, real timers and
   * `setImmediate` callbacks get their turn between such runs. With `false`,
   * time moves only through {@link VirtualClock.advanceBy} and
   * {@link VirtualClock.runUntilIdle}.
   */
  autoAdvance?: boolean;
}

/**
 * Virtual time. Timers fire in due order (ties in scheduling order) and time
 * jumps from one timer to the next, so a verification with a 30-second ring
 * timeout and a 10-second input timeout finishes in milliseconds of real time.
 *
 * Auto-advance assumes that work between timers finishes in promise callbacks
 * (as the simulated carrier's does); a host check waiting on real I/O, a real
 * timer or `setImmediate` sees virtual time run ahead meanwhile.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const carrier = new SimulatedCarrier({ clock, numbers: { '+14255550100': { kind: 'answers', responses: [{ press: '#' }] } } });
 * const result = await runVerification({ targets: ['+14255550100'] }, { provider: carrier, clock });
 * ```
 */
export class VirtualClock implements RuntimeClock {
  private current: number;
  // A binary min-heap in fire order. Cancelling only drops a timer's callback;
  // such timers are skipped when they reach the top, and the heap is rebuilt
  // without them once they outnumber the live ones, so schedule, cancel and
  // fire each cost O(log n) amortised. A timer is its own handle, so no index
  // of handles is kept beside the heap.
  private heap: VirtualTimer[] = [];
  private live = 0;
  private cancelledInHeap = 0;
  private nextId = 1;
  private readonly autoAdvance: boolean;
  /** Auto-advance's ticks queued and not yet run. */
  private ticksQueued = 0;

  /**
   * Throws a {@link VoiceMfaError} (`INVALID_CONFIGURATION`) for an option it
   * does not know, a `start` that is not a finite number or an `autoAdvance`
   * that is not `true` or `false`.
   */
  constructor(options: VirtualClockOptions = {}) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new VoiceMfaError(
        'INVALID_CONFIGURATION',
        'VirtualClock options must be an object: { start?, autoAdvance? }',
      );
    }
    const unknown = unknownOptionIssues(options as Record<string, unknown>, CLOCK_OPTIONS);
    if (unknown.length > 0) {
      throw new VoiceMfaError('INVALID_CONFIGURATION', `VirtualClock options: ${describeIssues(unknown)}`);
    }
    const { start = 0, autoAdvance = true } = options;
    if (!Number.isFinite(start)) throw invalidArgument('start', 'a finite number', start);
    if (typeof autoAdvance !== 'boolean') throw invalidArgument('autoAdvance', 'true or false', autoAdvance);
    this.current = start;
    this.autoAdvance = autoAdvance;
  }

  /** Current virtual reading in milliseconds. */
  now(): number {
    return this.current;
  }

  /**
   * Schedules `fn` at `now() + timeoutMs` of virtual time. As with the global
   * `setTimeout`, which the runtime's delays also go to, a delay that is
   * negative, infinite or not a number fires at the current time.
   */
  setTimeout(fn: (...args: unknown[]) => void, timeoutMs: number): TimerHandle {
    const delay = Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 0;
    const timer = new VirtualTimer(this, this.nextId++, this.current + delay, fn);
    this.live++;
    this.heap.push(timer);
    this.siftUp(this.heap.length - 1);
    this.scheduleTick();
    return timer;
  }

  /** Cancels a scheduled callback. */
  clearTimeout(handle: TimerHandle): void {
    if (!(handle instanceof VirtualTimer) || handle.clock !== this || handle.fn === null) return;
    handle.fn = null;
    this.live--;
    this.cancelledInHeap++;
    if (this.cancelledInHeap >= MIN_CANCELLED_BEFORE_COMPACTION && this.cancelledInHeap > this.live) {
      this.compact();
    }
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.live;
  }

  /** Fires the earliest timer, moving time to it. Returns `false` when none is left. */
  fireNext(): boolean {
    const timer = this.peek();
    if (timer === undefined) return false;
    this.pop();
    this.live--;
    const { fn } = timer;
    timer.fn = null;
    this.current = Math.max(this.current, timer.due);
    fn?.();
    return true;
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way, in order.
   * Throws a {@link VoiceMfaError} (`INVALID_CONFIGURATION`) when `ms` is not a
   * finite number at least 0: time never runs backwards or becomes `NaN`.
   */
  advanceBy(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw invalidArgument('advanceBy(ms)', 'a finite number at least 0', ms);
    const end = this.current + ms;
    for (let next = this.peek(); next !== undefined && next.due <= end; next = this.peek()) this.fireNext();
    // A timer that advanced the clock itself may have moved it past `end`: time never runs backwards.
    this.current = Math.max(this.current, end);
  }

  /**
   * Fires timers until none is left, letting promise callbacks run between
   * them. Resolves with the number of timers fired. Stops after `maxTimers`
   * (`Infinity` for no limit); rejects with a {@link VoiceMfaError}
   * (`INVALID_CONFIGURATION`) when it is negative or not a number. On an
   * auto-advancing clock, auto-advance fires timers too while this waits
   * between its own (up to 16 a turn of the event loop); those are not counted.
   */
  async runUntilIdle(maxTimers = 1_000_000): Promise<number> {
    if (!(maxTimers >= 0)) throw invalidArgument('runUntilIdle(maxTimers)', 'a number at least 0', maxTimers);
    let fired = 0;
    await settle();
    while (fired < maxTimers && this.fireNext()) {
      fired++;
      await settle();
    }
    return fired;
  }

  private scheduleTick(): void {
    if (!this.autoAdvance || this.ticksQueued > 0) return;
    this.ticksQueued = TICKS_PER_TURN;
    for (let i = 0; i < TICKS_PER_TURN; i++) setImmediate(VirtualClock.tick, this);
  }

  /** One auto-advance tick: fires the earliest timer, if any; the last tick queued queues more while timers are left. */
  private static tick(clock: VirtualClock): void {
    clock.ticksQueued--;
    try {
      clock.fireNext();
    } catch (error) {
      // A callback that throws fails as a real timer's does (an uncaught exception), and the timers after it still
      // fire. Rethrown from a promise callback, not from the tick: the callbacks it started before it threw still
      // run before the next timer fires, as they would had it not thrown.
      queueMicrotask(() => {
        throw error;
      });
    } finally {
      if (clock.ticksQueued === 0 && clock.live > 0) clock.scheduleTick();
    }
  }

  /** The earliest live timer, after discarding cancelled ones from the top. */
  private peek(): VirtualTimer | undefined {
    let top = this.heap[0];
    while (top !== undefined && top.fn === null) {
      this.pop();
      this.cancelledInHeap--;
      top = this.heap[0];
    }
    return top;
  }

  /** Removes the top of the heap. */
  private pop(): void {
    const last = this.heap.pop();
    if (last === undefined || this.heap.length === 0) return;
    this.heap[0] = last;
    this.siftDown(0);
  }

  /** Rebuilds the heap from the live timers only (Floyd's O(n) heapify). */
  private compact(): void {
    this.heap = this.heap.filter((timer) => timer.fn !== null);
    this.cancelledInHeap = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const timer = heap[index] as VirtualTimer;
    let i = index;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex] as VirtualTimer;
      if (!firesBefore(timer, parent)) break;
      heap[i] = parent;
      i = parentIndex;
    }
    heap[i] = timer;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const length = heap.length;
    const timer = heap[index] as VirtualTimer;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && firesBefore(heap[right] as VirtualTimer, heap[left] as VirtualTimer)) child = right;
      const childTimer = heap[child] as VirtualTimer;
      if (!firesBefore(childTimer, timer)) break;
      heap[i] = childTimer;
      i = child;
    }
    heap[i] = timer;
  }
}

const CLOCK_OPTIONS = optionNames<VirtualClockOptions>({ start: true, autoAdvance: true });

/** A value a {@link VirtualClock} cannot take. */
function invalidArgument(name: string, expected: string, value: unknown): VoiceMfaError {
  return new VoiceMfaError('INVALID_CONFIGURATION', `VirtualClock ${name} must be ${expected}, not ${String(value)}`);
}

/** Lets pending promise callbacks and immediates run. */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}
