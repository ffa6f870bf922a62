/**
 * The audit log as every store keeps and reads it: the same text in every
 * store, and one check of a reader's filter, so that the stores refuse the
 * same filters with the same error.
 *
 * @module
 */
import { InvalidRequestError, type RequestIssue } from '../errors.js';
import { optionNames, unknownOptionIssues } from '../optionNames.js';
import { storedTime } from './deadline.js';
import type { AuditEntry, AuditPageRequest, VerificationStore } from './types.js';

/** What PostgreSQL's `text` cannot hold, and what every store writes in its place: U+FFFD, the replacement character. */
const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';

/** `text` with every NUL written as U+FFFD, as PostgreSQL's `text` can hold it. */
export const withoutNul = (text: string): string => (text.includes(NUL) ? text.replaceAll(NUL, REPLACEMENT) : text);

/** Node 20.19's `String.prototype.toWellFormed` (ES2024), which the ES2022 library types do not declare. */
type WellFormable = { toWellFormed(): string };

/**
 * An audit entry as every store keeps it (a copy): a NUL or an unpaired
 * surrogate in any of its text — a provider's code from an untrusted webhook,
 * in `reason` — becomes U+FFFD. PostgreSQL's `text` cannot hold a NUL at all,
 * no store's UTF-8 text holds half a surrogate pair, and the log reads the
 * same in every store. Its time is whole milliseconds, rounded down (see `storedTime`).
 */
export function storedAuditEntry(entry: AuditEntry): AuditEntry {
  const stored: Record<string, unknown> = { ...entry, at: storedTime(entry.at) };
  for (const [field, value] of Object.entries(stored)) {
    if (typeof value !== 'string') continue;
    const text = (value as unknown as WellFormable).toWellFormed();
    stored[field] = withoutNul(text);
  }
  return stored as unknown as AuditEntry;
}

/** What `readAudit` may be asked for. */
export type AuditFilter = NonNullable<Parameters<VerificationStore['readAudit']>[0]>;

const FILTER_NAMES = optionNames<AuditFilter>({ verificationId: true, limit: true });

/**
 * Checks a filter of `readAudit`: no names but these two, a verification id is a string, a limit a
 * positive whole number (at most `Number.MAX_SAFE_INTEGER`). Anything else is
 * an `InvalidRequestError` naming the field, in every store alike.
 */
export function checkAuditFilter(filter: AuditFilter): AuditFilter {
  const issues: RequestIssue[] = [];
  if (typeof filter !== 'object' || filter === null) {
    throw new InvalidRequestError([{ path: 'filter', message: 'must be an object: { verificationId?, limit? }' }]);
  }
  // A misspelt `verificationId` would otherwise read every verification's rows.
  issues.push(...unknownOptionIssues(filter as Record<string, unknown>, FILTER_NAMES, 'filter'));
  if (filter.verificationId !== undefined && typeof filter.verificationId !== 'string') {
    issues.push({ path: 'filter.verificationId', message: 'must be a string' });
  }
  const { limit } = filter;
  if (limit !== undefined) issues.push(...countIssues('filter.limit', limit, 'rows'));
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return filter;
}

/** The most rows a page of the audit log holds: as a purge's batch, one read stays short. */
export const MAX_AUDIT_PAGE = 10_000;

const PAGE_REQUEST_NAMES = optionNames<AuditPageRequest>({ after: true, limit: true, verificationId: true });

/**
 * Checks a request of `readAuditPage`, every store alike: no names but its
 * three, a whole `limit` from 1 to {@link MAX_AUDIT_PAGE}, a string
 * `verificationId`, and an `after` that `readPlace` reads as a place of this
 * kind of store. Returns the place (`start` without `after`); anything else
 * is an `InvalidRequestError` naming each field.
 */
export function checkAuditPageRequest<P>(
  request: AuditPageRequest,
  readPlace: (after: string) => P | null,
  start: P,
): { place: P; limit: number; verificationId: string | undefined } {
  if (typeof request !== 'object' || request === null) {
    throw new InvalidRequestError([
      { path: 'request', message: 'must be an object: { after?, limit, verificationId? }' },
    ]);
  }
  const issues = unknownOptionIssues(request as unknown as Record<string, unknown>, PAGE_REQUEST_NAMES, 'request');
  issues.push(...countIssues('request.limit', request.limit, 'rows', MAX_AUDIT_PAGE));
  if (request.verificationId !== undefined && typeof request.verificationId !== 'string') {
    issues.push({ path: 'request.verificationId', message: 'must be a string' });
  }
  let place: P | null = start;
  if (request.after !== undefined) {
    place = typeof request.after === 'string' ? readPlace(request.after) : null;
    if (place === null) {
      issues.push({
        path: 'request.after',
        message: `must be the next of a page this kind of store gave, not ${shown(request.after)}`,
      });
    }
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return { place: place as P, limit: request.limit, verificationId: request.verificationId };
}

/**
 * A place in a log numbered by one sequence that never gives a number twice
 * (memory, SQLite): the number of the last row read, in decimal.
 */
export const sequencePlace = (seq: number): string => String(seq);

/** The sequence number `after` names, or `null` when it is not one. */
export function readSequencePlace(after: string): number | null {
  if (!/^(0|[1-9]\d{0,15})$/.test(after)) return null;
  const seq = Number(after);
  return Number.isSafeInteger(seq) ? seq : null;
}

/**
 * The refusal of a place past the last row a log ever numbered: it was taken
 * before the log was restored from a backup, and rows written since would
 * come before it.
 */
export function placeBeyondLog(after: string): InvalidRequestError {
  return new InvalidRequestError([
    {
      path: 'request.after',
      message: `${after} is past the last row this log has written: it was taken before the log was restored from a backup; read it again from a place taken before the backup, or from its start`,
    },
  ]);
}

/** How a refused value reads in a message: a number as it is, anything else as JSON. */
const shown = (value: unknown): string => (typeof value === 'number' ? String(value) : JSON.stringify(value));

/**
 * The problem with a count of `what` asked of a store (a limit): it must be a
 * whole number from 1 up to `max`. None when it is one.
 */
export function countIssues(path: string, count: unknown, what: string, max?: number): RequestIssue[] {
  const upTo = max ?? Number.MAX_SAFE_INTEGER;
  if (typeof count === 'number' && Number.isSafeInteger(count) && count >= 1 && count <= upTo) return [];
  const range = max === undefined ? 'from 1 up' : `from 1 to ${max}`;
  return [{ path, message: `must be a whole number of ${what} ${range}, not ${shown(count)}` }];
}

/** The problem with a time of the store's clock given to a store: it must be a finite number of milliseconds. */
export function timeIssues(path: string, time: unknown): RequestIssue[] {
  return typeof time === 'number' && Number.isFinite(time)
    ? []
    : [{ path, message: `must be a finite time in milliseconds of the store's clock, not ${shown(time)}` }];
}
