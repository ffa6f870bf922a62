/**
 * Refusing option names a factory does not know. A misspelt option is
 * otherwise ignored without a word, and the default it leaves in force can be
 * the opposite of what the host wrote (`abuseguard` leaves no abuse limits,
 * `maskNumber: false` still masks).
 *
 * @module
 */
import type { RequestIssue } from './errors.js';

/** The option names of one options object, each listed once: the known names and a lookup. */
export interface OptionNames {
  readonly names: readonly string[];
  readonly known: ReadonlySet<string>;
}

/**
 * The names of every option of `T`, from a record that the compiler checks
 * against `T`: a name missing from it, or one `T` does not have, is a type
 * error, so the list cannot drift from the options' type.
 *
 * @example
 * ```ts
 * const CLOCK_OPTIONS = optionNames<VirtualClockOptions>({ start: true, autoAdvance: true });
 * ```
 */
export function optionNames<T>(names: Record<keyof T & string, true>): OptionNames {
  return listedOptionNames(Object.keys(names));
}

/** Option names from a list, for options whose names are listed already (a table of defaults, of ranges). */
export function listedOptionNames(names: readonly string[]): OptionNames {
  return { names, known: new Set(names) };
}

/**
 * An issue for each own key of `options` that is not a known option name, at
 * `path` (empty for the top level); the nearest known name is suggested when
 * one is close, or else all are listed.
 *
 * @example
 * ```ts
 * unknownOptionIssues({ maskNumber: false }, RUN_OPTIONS);
 * // [{ path: 'maskNumber', message: 'unknown option; did you mean maskNumbers?' }]
 * ```
 */
export function unknownOptionIssues(options: Record<string, unknown>, known: OptionNames, path = ''): RequestIssue[] {
  return unknownNameIssues(options, known.names, (key) => known.known.has(key), path, 'option');
}

/**
 * An issue for each own key of `value` not in `known` (a short list, looked
 * through as it is), at `path`: `unknown field`, with the nearest known name
 * when one is close. For the fields of requests and scripts, which list no
 * alternatives when nothing is close.
 *
 * @example
 * ```ts
 * unknownFieldIssues({ defualt: '+14255550000' }, ['default', 'byCountry'], 'callerId');
 * // [{ path: 'callerId.defualt', message: 'unknown field; did you mean default?' }]
 * ```
 */
export function unknownFieldIssues(
  value: Record<string, unknown>,
  known: readonly string[],
  path = '',
): RequestIssue[] {
  return unknownNameIssues(value, known, (key) => known.includes(key), path, 'field');
}

function unknownNameIssues(
  value: Record<string, unknown>,
  names: readonly string[],
  isKnown: (key: string) => boolean,
  path: string,
  noun: 'option' | 'field',
): RequestIssue[] {
  const issues: RequestIssue[] = [];
  for (const key of Object.keys(value)) {
    if (isKnown(key)) continue;
    const near = nearestName(key, names);
    const unknown = `unknown ${noun}`;
    const listed = noun === 'option' ? `${unknown} (known: ${names.join(', ')})` : unknown;
    // An empty name would leave the path ending in a bare dot, or empty.
    const shown = key === '' ? '""' : key;
    issues.push({
      path: path === '' ? shown : `${path}.${shown}`,
      message: near === null ? listed : `${unknown}; did you mean ${near}?`,
    });
  }
  return issues;
}

/**
 * A known name that `key` is likely a misspelling of: the same but for case,
 * or the nearest within a third of the longer name's length in edits.
 */
function nearestName(key: string, names: readonly string[]): string | null {
  const lower = key.toLowerCase();
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const within = Math.floor(Math.max(key.length, name.length) / 3);
    // No fewer edits than the lengths differ by: a key far longer than every name costs nothing to rule out.
    if (Math.abs(key.length - name.length) > within) continue;
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= within && distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/** Edits between two names: insertions, deletions, substitutions, and swaps of two neighbouring letters. */
function editDistance(a: string, b: string): number {
  // rows[i][j]: edits between the first i letters of a and the first j of b; i + j bounds it, and is it when i or j is 0.
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i + j));
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const above = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      let distance = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = distance;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}
