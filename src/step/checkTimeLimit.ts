/**
 * The host's checks (number, PIN) bounded in time for a durable step: a step
 * holds the verification's lock while it waits, and commits nothing half-done,
 * so a check that has not answered within the limit fails. The machine then
 * treats it as any failed check: a PIN counts as wrong (nothing is approved
 * without a yes), a number check's attempt ends `failed` (`NUMBER_CHECK_ERROR`)
 * and the verification rolls over.
 *
 * @module
 */
import { isThenable } from '../machine/checks.js';

/** A check that did not answer within the step's limit. */
export class CheckTimeLimitError extends Error {
  constructor(check: string, limitMs: number) {
    super(`${check} did not answer within ${limitMs} ms`);
    this.name = 'CheckTimeLimitError';
  }
}

/**
 * `check`, failing with a {@link CheckTimeLimitError} when its promise has not
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
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => reject(new CheckTimeLimitError(name, limitMs)), limitMs);
      answer.then(
        (value) => {
          clearTimeout(timer);
          resolve(value as R);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  };
}
