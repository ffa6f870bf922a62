import type { RuntimeClock, TimerHandle } from '../../runtime/clock.js';

interface QueuedCall {
  /** When the call was created and joined the queue. */
  readyAt: number;
  /** Takes the call out of the queue; receives how long it waited. */
  start: (queuedMs: number) => void;
}

/**
 * An account's calls above its calls per second, as Twilio queues them: they
 * leave in order, one every `1 / callsPerSecond`. A call that ends while queued
 * never dials, so it leaves without taking a turn and the calls behind it move up.
 */
export class DialQueue {
  private readonly waiting: QueuedCall[] = [];
  private readonly intervalMs: number;
  /** When the last call left the queue. */
  private lastStartAt = Number.NEGATIVE_INFINITY;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: RuntimeClock,
    callsPerSecond: number,
  ) {
    this.intervalMs = 1_000 / callsPerSecond;
  }

  /**
   * Queues a call created at `readyAt`: `start` runs at its turn. Returns what
   * takes it out before then, which gives how long it waited.
   */
  enter(readyAt: number, start: (queuedMs: number) => void): () => number {
    const call: QueuedCall = { readyAt, start };
    this.waiting.push(call);
    this.release();
    return () => {
      const index = this.waiting.indexOf(call);
      if (index < 0) return 0;
      this.waiting.splice(index, 1);
      // The calls behind move up: the next turn may come sooner.
      if (index === 0) this.release();
      return Math.max(0, this.clock.now() - readyAt);
    };
  }

  /** Starts every call whose turn has come, and sets the timer for the next one. */
  private release(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    for (let next = this.waiting[0]; next !== undefined; next = this.waiting[0]) {
      const turnAt = Math.max(next.readyAt, this.lastStartAt + this.intervalMs);
      const now = this.clock.now();
      if (turnAt > now) {
        this.timer = this.clock.setTimeout(() => this.release(), turnAt - now);
        return;
      }
      this.waiting.shift();
      this.lastStartAt = turnAt;
      next.start(turnAt - next.readyAt);
    }
  }
}
