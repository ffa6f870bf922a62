/**
 * Field checks shared by the simulated carrier's options, callee scripts and
 * fault plans, in the style of the request's checks: every problem becomes
 * an issue with the path of its field.
 *
 * @module
 */
import type { RequestIssue } from '../../errors.js';
import { unknownKeys } from '../../request/normalizeRequest.js';

/** Bounds of a numeric field. */
export interface NumberBounds {
  min: number;
  max: number;
  integer?: boolean;
}

/** Longest time a script or fault may name: an hour, well beyond any verification. */
export const MAX_SCRIPT_MS = 3_600_000;

/** Bounds of a duration in milliseconds. */
export const DURATION: NumberBounds = { min: 0, max: MAX_SCRIPT_MS };

/** `a.b` from a parent path and a key; a root path stays out. */
export const fieldPath = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

/**
 * A value as a message quotes it: JSON (a number as written, so that `NaN`
 * shows), cut after 80 characters. A value JSON cannot write — nested
 * thousands deep, circular — is named by its type: a message about bad input
 * must not fail on that input itself.
 *
 * @example
 * ```ts
 * quoted('bussy'); // '"bussy"'
 * ```
 */
export function quoted(value: unknown): string {
  let text: string | undefined;
  try {
    text = typeof value === 'number' ? String(value) : JSON.stringify(value);
  } catch {
    return `${Array.isArray(value) ? 'a list' : `a value of type ${typeof value}`} that cannot be shown`;
  }
  text ??= String(value);
  return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
}

/** Longest quote of a value in a message. */
const MAX_QUOTED = 80;

/**
 * Checks that an optional field is a number within bounds; adds an issue and
 * returns `false` otherwise. `undefined` passes.
 */
export function checkNumberField(value: unknown, path: string, bounds: NumberBounds, issues: RequestIssue[]): boolean {
  if (value === undefined) return true;
  const { min, max, integer = false } = bounds;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    issues.push({
      path,
      // JSON would show NaN and Infinity as null.
      message: `must be a finite ${integer ? 'integer' : 'number'} from ${min} to ${max}, got ${quoted(value)}`,
    });
  }
  return ok;
}

/** Checks that an optional field is one of `allowed`; adds an issue otherwise. */
export function checkOneOf(value: unknown, path: string, allowed: readonly unknown[], issues: RequestIssue[]): boolean {
  if (value === undefined || allowed.includes(value)) return true;
  issues.push({
    path,
    message: `must be one of ${allowed.map((a) => String(a)).join(', ')}, got ${quoted(value)}`,
  });
  return false;
}

/**
 * Reads the tag that says which fields a record may have (a script's `kind`,
 * a fault's `action`): adds an issue when it is missing or unknown, and one
 * for every field that tag does not allow.
 */
export function checkTag<T extends string>(
  record: Record<string, unknown>,
  tag: string,
  fields: Readonly<Record<T, readonly string[]>>,
  path: string,
  issues: RequestIssue[],
): T | null {
  const value = record[tag];
  const tags = Object.keys(fields) as T[];
  if (!tags.includes(value as T)) {
    issues.push({
      path: fieldPath(path, tag),
      message: `must be one of ${tags.join(', ')}, got ${value === undefined ? 'nothing' : quoted(value)}`,
    });
    return null;
  }
  unknownKeys(record, fields[value as T], path, issues);
  return value as T;
}
