/**
 * A clock for same-millisecond ties: its reading can move to a timer's due time
 * without firing the timer, so a test can deliver an event stamped exactly at a
 * deadline before the machine's timer for it runs — as a real event loop may.
 */
import type { ProviderCommand } from '../../src/machine/commands.js';
import type { VerificationEvent } from '../../src/machine/events.js';
import type { VerificationRequest } from '../../src/machine/types.js';
import { createVerificationActor, type VerificationActorOptions } from '../../src/runtime/createVerificationActor.js';
import { flush } from './harness.js';

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

export class TieClock {
  private current = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, timeoutMs: number): number {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.current + Math.max(0, timeoutMs), fn });
    return id;
  }

  clearTimeout(id: unknown): void {
    this.timers.delete(id as number);
  }

  /** Due time of the earliest timer, or `Infinity`. */
  nextDue(): number {
    let due = Number.POSITIVE_INFINITY;
    for (const timer of this.timers.values()) due = Math.min(due, timer.due);
    return due;
  }

  /** Moves the reading forward without firing anything. */
  setNow(time: number): void {
    if (time < this.current) throw new Error(`the clock cannot go back from ${this.current} to ${time}`);
    this.current = time;
  }

  /** Fires, in due order (ties in the order they were set), every timer due by now, including ones they set. */
  fireDue(): void {
    for (;;) {
      let earliest: Timer | undefined;
      for (const timer of this.timers.values()) {
        if (timer.due <= this.current && (earliest === undefined || timer.due < earliest.due)) earliest = timer;
      }
      if (earliest === undefined) return;
      this.timers.delete(earliest.id);
      earliest.fn();
    }
  }
}

/** One verification on a {@link TieClock}, recording the commands it emits. */
export interface TieRun {
  clock: TieClock;
  actor: ReturnType<typeof createVerificationActor>;
  commands: ProviderCommand[];
  /** Delivers `event` stamped `at` (the clock must already read `at`). */
  deliver(event: VerificationEvent, at: number): Promise<void>;
  /** Moves the clock to `at` and fires the timers due by then. */
  advanceTo(at: number): Promise<void>;
}

export async function startTieRun(
  request: VerificationRequest,
  options: Omit<VerificationActorOptions, 'clock' | 'startedAt'> = {},
): Promise<TieRun> {
  const clock = new TieClock();
  const commands: ProviderCommand[] = [];
  const actor = createVerificationActor(request, { ...options, clock, startedAt: 0 });
  actor.on('*', (command) => {
    commands.push(command as ProviderCommand);
  });
  actor.start();
  await flush();
  return {
    clock,
    actor,
    commands,
    async deliver(event, at) {
      actor.send({ ...event, at } as VerificationEvent);
      await flush();
    },
    async advanceTo(at) {
      clock.setNow(at);
      clock.fireDue();
      await flush();
    },
  };
}
