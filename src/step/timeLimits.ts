/**
 * Time limits on what the host and the provider answer while the service
 * waits. The host's checks (number, PIN) are bounded for a durable step: a
 * step holds the verification's lock while it waits, and commits nothing
 * half-done, so a check that has not answered within the limit fails. The
 * machine then treats it as any failed check: a PIN counts as wrong (nothing
 * is approved without a yes), a number check's attempt ends `failed`
 * (`NUMBER_CHECK_ERROR`) and the verification rolls over. An effect carried
 * out at least once (a hang-up, a hook) is bounded by its lease: past it,
 * another instance may carry it out again, so waiting longer would only hold
 * this instance's sweeps and its `close()`.
 *
 * @module
 */
import { isThenable } from '../machine/checks.js';
import { type RuntimeClock, systemClock } from '../runtime/clock.js';

/** Something the service waited for that did not settle within its limit. */
export class TimeLimitError extends Error {
  constructor(what: string, limitMs: number, consequence: string) {
    super(`${what} did not settle within ${limitMs} ms: ${consequence}`);
    this.name = 'TimeLimitError';
  }
}

/**
 * `work`, failing with a {@link TimeLimitError} when it has not settled
 * `limitMs` later on `clock`. A late outcome is dropped.
 */
export function settleWithin<T>(
  work: PromiseLike<T>,
  limitMs: number,
  timedOut: () => TimeLimitError,
  clock: RuntimeClock = systemClock,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(timedOut()), limitMs);
    work.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * `check`, failing with a {@link TimeLimitError} when its promise has not
 * settled `limitMs` after it was asked (on the real clock, as the step waits).
 * An answer given at once, or a throw, passes through unchanged; a late answer
 * is dropped.
 */
export function withinTimeLimit<A extends unknown[], R>(
  check: (...args: A) => R | Promise<R>,
  limitMs: number,
  name: string,
): (...args: A) => R | Promise<R> {
  return (...args) => {
    const answer = check(...args);
    if (!isThenable(answer)) return answer;
    return settleWithin(
      answer as PromiseLike<R>,
      limitMs,
      () => new TimeLimitError(name, limitMs, 'it counts as a failed check'),
    );
  };
}
