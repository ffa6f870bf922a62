/**
 * Retention: the one check of a purge's arguments, so that every store
 * refuses the same arguments with the same error.
 *
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import { countIssues, timeIssues } from './audit.js';

/**
 * The most a purge removes in one call: its batch is one transaction, which
 * holds the SQLite file's write lock (and PostgreSQL's row locks) while it
 * runs, so a batch stays short enough not to keep steps waiting.
 */
export const MAX_PURGE_LIMIT = 10_000;

/**
 * Checks the arguments of `purgeFinished` and `purgeAudit`: a finite time of
 * the store's clock and a whole number from 1 to {@link MAX_PURGE_LIMIT}.
 * Anything else is an `InvalidRequestError` naming each argument, in every
 * store alike, before anything is deleted.
 */
export function checkPurgeArguments(beforeName: string, before: number, limit: number, what: string): void {
  const issues = [...timeIssues(beforeName, before), ...countIssues('limit', limit, what, MAX_PURGE_LIMIT)];
  if (issues.length > 0) throw new InvalidRequestError(issues);
}

/**
 * A purge's time as a whole millisecond the databases take (a `bigint` on
 * PostgreSQL): stored times are whole, so `< before` and `< ceil(before)`
 * select the same rows; a time beyond any stored one is brought within range.
 */
export function purgeBound(before: number): number {
  return Math.ceil(Math.min(Math.max(before, Number.MIN_SAFE_INTEGER), Number.MAX_SAFE_INTEGER));
}
