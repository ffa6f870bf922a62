/**
 * Checking the options a store or the durable service is made with: one rule
 * for a duration everywhere, and one error that lists every problem found.
 *
 * @module
 */
import type { RequestIssue } from '../errors.js';
import { type OptionNames, unknownOptionIssues } from '../optionNames.js';
import { CHECK_SETTLE_GRACE_MS, DEFAULT_CHECK_TIMEOUT_MS } from '../step/checkTimes.js';
import { InvalidServiceConfigurationError } from './errors.js';

/**
 * How long a step waits by default for the lock another step holds: 12 000 ms.
 * A step holds it through the host's number or PIN check, which may take the
 * service's default check time limit and its grace (6 s) when it hangs; a step
 * waiting behind it, and one more behind that, still get their turn.
 */
export const DEFAULT_LOCK_TIMEOUT_MS = 2 * (DEFAULT_CHECK_TIMEOUT_MS + CHECK_SETTLE_GRACE_MS);

/** Longest duration an option may give: the longest delay Node's timers keep (longer ones fire at once), and PostgreSQL's longest `lock_timeout`. */
export const MAX_DURATION_MS = 2_147_483_647;

/** A duration in milliseconds, from 1 ms up. */
export const isDuration = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 1 && value <= MAX_DURATION_MS;

export const DURATION_RANGE = `must be a number of milliseconds from 1 to ${MAX_DURATION_MS}`;

/** What a check of a store's or the service's options is given: the options, and where to put each problem. */
export interface OptionsCheck {
  options: Record<string, unknown>;
  issues: RequestIssue[];
  /** Adds an issue for each of `names` that is given and is not a duration. */
  durations(...names: string[]): void;
  /** Adds an issue when `name` is given and is not a clock. */
  clock(name: string): void;
}

/**
 * Checks the options `subject` (say, "SQLite store") is made with: no names
 * but the `known` ones, and what `check` finds, an issue per problem; all of
 * them are thrown together.
 *
 * @throws {@link InvalidServiceConfigurationError} listing every problem.
 */
export function checkOptions(
  subject: string,
  options: unknown,
  known: OptionNames,
  check: (given: OptionsCheck) => void,
): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidServiceConfigurationError([{ path: '(options)', message: 'must be an object' }], subject);
  }
  const given = options as Record<string, unknown>;
  const issues: RequestIssue[] = unknownOptionIssues(given, known);
  check({
    options: given,
    issues,
    durations(...names) {
      for (const name of names) {
        if (given[name] !== undefined && !isDuration(given[name])) issues.push({ path: name, message: DURATION_RANGE });
      }
    },
    clock(name) {
      const clock = given[name] as { now?: unknown } | undefined;
      if (clock !== undefined && (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function')) {
        issues.push({ path: name, message: 'must be a clock: an object with a now() method' });
      }
    },
  });
  if (issues.length > 0) throw new InvalidServiceConfigurationError(issues, subject);
}
