/**
 * Field checks shared by the simulated carrier's options, callee scripts and
 * fault plans, in the style of the request's checks: every problem becomes
 * an issue with the path of its field.
 *
 * @module
 */
import type { RequestIssue } from '../../errors.js';

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
      message: `must be a finite ${integer ? 'integer' : 'number'} from ${min} to ${max}, got ${JSON.stringify(value) ?? String(value)}`,
    });
  }
  return ok;
}

/** Checks that an optional field is one of `allowed`; adds an issue otherwise. */
export function checkOneOf(value: unknown, path: string, allowed: readonly unknown[], issues: RequestIssue[]): boolean {
  if (value === undefined || allowed.includes(value)) return true;
  issues.push({
    path,
    message: `must be one of ${allowed.map((a) => String(a)).join(', ')}, got ${JSON.stringify(value) ?? String(value)}`,
  });
  return false;
}
