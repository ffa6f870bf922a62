/**
 * The audit log as every store keeps and reads it: the same text in every
 * store, and one check of a reader's filter, so that the stores refuse the
 * same filters with the same error.
 *
 * @module
 */
import { InvalidRequestError, type RequestIssue } from '../errors.js';
import { storedTime } from './deadline.js';
import type { AuditEntry, VerificationStore } from './types.js';

/** What PostgreSQL's `text` cannot hold, and what every store writes in its place: U+FFFD, the replacement character. */
const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';

/**
 * An audit entry as every store keeps it (a copy): a NUL in any of its text —
 * a provider's code from an untrusted webhook, in `reason` — becomes U+FFFD.
 * PostgreSQL's `text` cannot hold a NUL at all, and the log reads the same in
 * every store. Its time is whole milliseconds, rounded down (see `storedTime`).
 */
export function storedAuditEntry(entry: AuditEntry): AuditEntry {
  const stored: Record<string, unknown> = { ...entry, at: storedTime(entry.at) };
  for (const [field, value] of Object.entries(stored)) {
    if (typeof value === 'string' && value.includes(NUL)) stored[field] = value.replaceAll(NUL, REPLACEMENT);
  }
  return stored as unknown as AuditEntry;
}

/** What `readAudit` may be asked for. */
export type AuditFilter = NonNullable<Parameters<VerificationStore['readAudit']>[0]>;

/**
 * Checks a filter of `readAudit`: a verification id is a string, a limit a
 * positive whole number (at most `Number.MAX_SAFE_INTEGER`). Anything else is
 * an `InvalidRequestError` naming the field, in every store alike.
 */
export function checkAuditFilter(filter: AuditFilter): AuditFilter {
  const issues: RequestIssue[] = [];
  if (typeof filter !== 'object' || filter === null) {
    throw new InvalidRequestError([{ path: 'filter', message: 'must be an object: { verificationId?, limit? }' }]);
  }
  if (filter.verificationId !== undefined && typeof filter.verificationId !== 'string') {
    issues.push({ path: 'filter.verificationId', message: 'must be a string' });
  }
  const { limit } = filter;
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1)) {
    issues.push({
      path: 'filter.limit',
      message: `must be a whole number of rows from 1 up, not ${typeof limit === 'number' ? limit : JSON.stringify(limit)}`,
    });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return filter;
}
