/**
 * Clocks for the runtime: the system clock, and a virtual clock on which a
 * ten-second timeout costs no real time.
 *
 * @module
 */

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

interface VirtualTimer {
  id: number;
  due: number;
  fn: (...args: unknown[]) => void;
}

/** Options of a {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** Reading at creation. Default 0. */
  start?: number;
  /**
   * Run by itself: whenever the process has nothing else to do (no pending
   * promise callbacks), jump to the next timer and fire it. Default `true`.
   * With `false`, time moves only through {@link VirtualClock.advanceBy} and
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
 * (as the simulated carrier's does); a host check waiting on real I/O sees
 * virtual time run ahead meanwhile.
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
  private readonly timers: VirtualTimer[] = [];
  private nextId = 1;
  private readonly autoAdvance: boolean;
  private tickScheduled = false;

  constructor(options: VirtualClockOptions = {}) {
    this.current = options.start ?? 0;
    this.autoAdvance = options.autoAdvance ?? true;
  }

  /** Current virtual reading in milliseconds. */
  now(): number {
    return this.current;
  }

  /** Schedules `fn` at `now() + timeoutMs` of virtual time. */
  setTimeout(fn: (...args: unknown[]) => void, timeoutMs: number): TimerHandle {
    const delay = Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 0;
    const timer: VirtualTimer = { id: this.nextId++, due: this.current + delay, fn };
    // Keep the list sorted by due time, ties in scheduling order.
    let i = this.timers.length;
    while (i > 0 && (this.timers[i - 1] as VirtualTimer).due > timer.due) i--;
    this.timers.splice(i, 0, timer);
    this.scheduleTick();
    return timer.id;
  }

  /** Cancels a scheduled callback. */
  clearTimeout(handle: TimerHandle): void {
    const i = this.timers.findIndex((t) => t.id === handle);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Fires the earliest timer, moving time to it. Returns `false` when none is left. */
  fireNext(): boolean {
    const timer = this.timers.shift();
    if (timer === undefined) return false;
    this.current = Math.max(this.current, timer.due);
    timer.fn();
    return true;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  advanceBy(ms: number): void {
    const end = this.current + Math.max(0, ms);
    while (this.timers.length > 0 && (this.timers[0] as VirtualTimer).due <= end) this.fireNext();
    this.current = end;
  }

  /**
   * Fires timers until none is left, letting promise callbacks run between
   * them. Resolves with the number of timers fired. Stops after `maxTimers`.
   */
  async runUntilIdle(maxTimers = 1_000_000): Promise<number> {
    let fired = 0;
    await settle();
    while (fired < maxTimers && this.fireNext()) {
      fired++;
      await settle();
    }
    return fired;
  }

  private scheduleTick(): void {
    if (!this.autoAdvance || this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      this.fireNext();
      if (this.timers.length > 0) this.scheduleTick();
    });
  }
}

/** Lets pending promise callbacks and immediates run. */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}
