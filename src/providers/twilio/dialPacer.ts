/**
 * Pacing call creation: Twilio queues calls beyond the account's calls per
 * second, and a queued call is not ringing. The pacer sends creates no faster
 * than the rate, keeps a bounded queue, refuses a dial that could not be placed
 * by its deadline, and retries one the API turned away as too many requests.
 * One pacer serves every verification of a provider (one process).
 *
 * @module
 */
import { VoiceMfaError } from '../../errors.js';
import type { RuntimeClock, TimerHandle } from '../../runtime/clock.js';

/**
 * `providerCode` of a dial refused because the pacing queue was full.
 *
 * @example
 * ```ts
 * if (attempt.providerCode === DIAL_QUEUE_FULL) metrics.count('dial_refused_queue_full');
 * ```
 */
export const DIAL_QUEUE_FULL = 'DIAL_QUEUE_FULL';

/**
 * `providerCode` of a dial refused because it would have waited in the pacing
 * queue past the latest time it could be placed.
 *
 * @example
 * ```ts
 * if (attempt.providerCode === DIAL_QUEUE_DEADLINE) metrics.count('dial_refused_deadline');
 * ```
 */
export const DIAL_QUEUE_DEADLINE = 'DIAL_QUEUE_DEADLINE';

/** Why a dial was taken out of the queue: its verification ended (its session closed), so nobody hears of it. */
export const DIAL_WITHDRAWN = 'DIAL_WITHDRAWN';

/** Why the pacer did not place a dial. */
export type DialRefusal = typeof DIAL_QUEUE_FULL | typeof DIAL_QUEUE_DEADLINE | typeof DIAL_WITHDRAWN;

/**
 * A dial the pacer did not place: no request was sent for it.
 *
 * @example
 * ```ts
 * try { await pacer.place(() => calls.create(params), { placeBy }); }
 * catch (error) { if (error instanceof DialRefusedError) error.reason; } // 'DIAL_QUEUE_FULL'
 * ```
 */
export class DialRefusedError extends VoiceMfaError {
  /** Why: the queue was full, the deadline could not be met, or the dial was withdrawn. */
  readonly reason: DialRefusal;

  constructor(reason: DialRefusal, message: string) {
    super('PROVIDER_ERROR', message);
    this.reason = reason;
  }
}

/** How a pacer works. */
export interface DialPacerOptions {
  /** Creates per second, fractions allowed (0.5: one every 2 s). */
  callsPerSecond: number;
  /** Most dials waiting (in the queue or backing off); one more is refused. */
  maxQueuedDials: number;
  clock: RuntimeClock;
  /** Whether a failed create means "too many requests": it is retried after a back-off. */
  isRateLimited(error: unknown): boolean;
  /** Retries of a rate-limited create. Default {@link RATE_LIMIT_RETRIES}. */
  maxRetries?: number;
  /** First back-off; each further one doubles. Default {@link FIRST_BACK_OFF_MS}. */
  firstBackOffMs?: number;
}

/** What a dial brings to the pacer. */
export interface PlaceOptions {
  /** Latest clock reading at which its create may be sent; none: no deadline. */
  placeBy?: number;
  /** Aborting it takes the dial out of the queue (a create already sent runs on). */
  signal?: AbortSignal;
  /** Told when the dial has to wait: dials waiting (this one included) and its expected wait. */
  onQueued?(queued: { queueLength: number; waitMs: number }): void;
}

/** A create the pacer sent and the API accepted. */
export interface Placed<T> {
  value: T;
  /** From entering the pacer to sending the create that succeeded (milliseconds). */
  waitMs: number;
  /** Rate-limited creates before it. */
  retries: number;
}

/** Retries of a create the API turned away as too many requests. */
export const RATE_LIMIT_RETRIES = 3;
/** The first back-off after "too many requests"; then 2 s, 4 s. */
export const FIRST_BACK_OFF_MS = 1_000;

interface Waiter {
  placeBy: number | undefined;
  /** Why it is refused when its turn comes too late. */
  late(): Error;
  grant(): void;
  refuse(error: Error): void;
}

/**
 * Sends creates at most `callsPerSecond`, in arrival order; a retry goes
 * first once its back-off ended.
 *
 * @example
 * ```ts
 * const pacer = new DialPacer({ callsPerSecond: 1, maxQueuedDials: 100, clock: systemClock, isRateLimited: (e) => e.code === 20429 });
 * const { value, waitMs, retries } = await pacer.place(() => calls.create(params), { placeBy: Date.now() + 60_000 });
 * ```
 */
export class DialPacer {
  private readonly intervalMs: number;
  private readonly waiting: Waiter[] = [];
  /** Dials between two tries of a rate-limited create. */
  private backingOff = 0;
  /** Earliest clock reading at which the next create may be sent. */
  private nextSlotAt = Number.NEGATIVE_INFINITY;
  private timer: TimerHandle | null = null;

  constructor(private readonly options: DialPacerOptions) {
    this.intervalMs = 1000 / options.callsPerSecond;
  }

  /** Dials waiting for their turn or backing off. */
  get queueLength(): number {
    return this.waiting.length + this.backingOff;
  }

  /**
   * Sends `create` when its turn comes. Rejects with a {@link DialRefusedError}
   * when the dial is not placed (nothing was sent for it then), with the last
   * rate-limited error when its retries ran out or would end after `placeBy`,
   * and with whatever else `create` rejected with.
   */
  async place<T>(create: () => Promise<T>, options: PlaceOptions = {}): Promise<Placed<T>> {
    const { clock, isRateLimited } = this.options;
    const maxRetries = this.options.maxRetries ?? RATE_LIMIT_RETRIES;
    const firstBackOffMs = this.options.firstBackOffMs ?? FIRST_BACK_OFF_MS;
    const enteredAt = clock.now();
    // A dial whose turn is now is sent in this same tick, as without pacing.
    const turn = this.enter(options);
    if (turn !== null) await turn;
    for (let retries = 0; ; retries++) {
      const sentAt = clock.now();
      try {
        return { value: await create(), waitMs: sentAt - enteredAt, retries };
      } catch (error) {
        const backOffMs = firstBackOffMs * 2 ** retries;
        const late = options.placeBy !== undefined && clock.now() + backOffMs > options.placeBy;
        if (!isRateLimited(error) || retries >= maxRetries || late) throw error;
        await this.backOff(backOffMs, options.signal);
        await this.waitForTurn(options, true, () => error as Error);
      }
    }
  }

  /** A new dial: its turn now (`null`), a place in the queue, or a refusal. */
  private enter(options: PlaceOptions): Promise<void> | null {
    const now = this.options.clock.now();
    if (options.signal?.aborted === true) return Promise.reject(withdrawn());
    if (this.waiting.length === 0 && now >= this.nextSlotAt) {
      this.takeSlot(now);
      return null;
    }
    if (this.queueLength >= this.options.maxQueuedDials) {
      return Promise.reject(
        new DialRefusedError(DIAL_QUEUE_FULL, `${this.queueLength} dials are waiting already, the most allowed`),
      );
    }
    const expectedAt = Math.max(now, this.nextSlotAt) + this.waiting.length * this.intervalMs;
    if (options.placeBy !== undefined && expectedAt > options.placeBy) {
      return Promise.reject(
        new DialRefusedError(
          DIAL_QUEUE_DEADLINE,
          `the dial would wait ${Math.ceil(expectedAt - now)} ms, ${Math.ceil(expectedAt - options.placeBy)} ms past the latest time it could be placed`,
        ),
      );
    }
    const turn = this.waitForTurn(options, false, () => missedDeadline());
    options.onQueued?.({ queueLength: this.queueLength, waitMs: expectedAt - now });
    return turn;
  }

  /** Joins the queue (a retry at its head) and resolves when the dial may be sent. */
  private waitForTurn(options: PlaceOptions, first: boolean, late: () => Error): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const { signal } = options;
      const onAbort = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index < 0) return;
        this.waiting.splice(index, 1);
        reject(withdrawn());
      };
      const settle = (): void => signal?.removeEventListener('abort', onAbort);
      const waiter: Waiter = {
        placeBy: options.placeBy,
        late,
        grant: () => {
          settle();
          resolve();
        },
        refuse: (error) => {
          settle();
          reject(error);
        },
      };
      if (signal?.aborted === true) {
        reject(withdrawn());
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (first) this.waiting.unshift(waiter);
      else this.waiting.push(waiter);
      this.dispatch();
    });
  }

  private backOff(ms: number, signal: AbortSignal | undefined): Promise<void> {
    const { clock } = this.options;
    this.backingOff += 1;
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.backingOff -= 1;
        signal?.removeEventListener('abort', onAbort);
      };
      const timer = clock.setTimeout(() => {
        done();
        resolve();
      }, ms);
      const onAbort = (): void => {
        clock.clearTimeout(timer);
        done();
        reject(withdrawn());
      };
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Gives the slot to the first waiter still in time, or waits for the slot. */
  private dispatch(): void {
    const now = this.options.clock.now();
    if (now < this.nextSlotAt) {
      this.arm(now);
      return;
    }
    for (let waiter = this.waiting.shift(); waiter !== undefined; waiter = this.waiting.shift()) {
      if (waiter.placeBy !== undefined && now > waiter.placeBy) {
        waiter.refuse(waiter.late());
        continue;
      }
      this.takeSlot(now);
      waiter.grant();
      break;
    }
    if (this.waiting.length > 0) this.arm(now);
  }

  private takeSlot(now: number): void {
    this.nextSlotAt = now + this.intervalMs;
  }

  private arm(now: number): void {
    if (this.timer !== null) return;
    const { clock } = this.options;
    // Whole milliseconds, rounded up: a timer that fires early finds the slot still taken and waits again.
    this.timer = clock.setTimeout(
      () => {
        this.timer = null;
        this.dispatch();
      },
      Math.max(1, Math.ceil(this.nextSlotAt - now)),
    );
  }
}

function withdrawn(): DialRefusedError {
  return new DialRefusedError(DIAL_WITHDRAWN, 'the dial was withdrawn before its turn: its verification ended');
}

function missedDeadline(): DialRefusedError {
  return new DialRefusedError(
    DIAL_QUEUE_DEADLINE,
    'the dial could not be placed by the latest time it could still ring: dials retried after "too many requests" went first',
  );
}
