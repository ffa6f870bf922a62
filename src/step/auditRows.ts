/**
 * The audit rows of a step: one per input, per attempt that ended, and one for
 * the final status. Numbers are masked; keys appear as a count, never as digits.
 *
 * @module
 */
import type { ProviderEvent } from '../machine/events.js';
import { type AttemptRecord, toLegacyResultCode, type VerificationResult } from '../machine/outcomes.js';
import { maskPhoneNumber } from '../phone/maskPhoneNumber.js';
import type { AuditEntry } from '../store/types.js';

/** Who writes, and whether the step replays what passed while nothing ran. */
export interface AuditScope {
  verificationId: string;
  instance: string;
  replayed: boolean;
}

const empty = {
  attempt: null,
  number: null,
  result: null,
  sitKind: null,
  sipCode: null,
  q850Cause: null,
  reason: null,
  legacyCode: null,
} as const;

/** A row for one input: an event (`call.answered`, `call.digits (3 keys)`), a deadline, a cancel, the start. */
export function inputRow(scope: AuditScope, at: number, what: string, attempt: number | null = null): AuditEntry {
  return {
    ...empty,
    verificationId: scope.verificationId,
    at,
    kind: 'input',
    what,
    attempt,
    instance: scope.instance,
    replayed: scope.replayed,
  };
}

/** How an event is named in the audit: keys by their count. */
export function describeEventForAudit(event: ProviderEvent): string {
  return event.type === 'call.digits'
    ? `call.digits (${event.digits.length} key${event.digits.length === 1 ? '' : 's'})`
    : event.type;
}

/** The row of an attempt that ended. */
export function attemptRow(scope: AuditScope, attempt: AttemptRecord, mode: 'standard' | 'pin'): AuditEntry {
  const number = attempt.target.e164 ?? null;
  return {
    verificationId: scope.verificationId,
    at: attempt.times.endedAt ?? 0,
    kind: 'attempt',
    what: attempt.result ?? 'unknown',
    attempt: attempt.index,
    number: number === null ? null : maskPhoneNumber(number),
    result: attempt.result,
    sitKind: attempt.sitKind,
    sipCode: attempt.sipCode,
    q850Cause: attempt.q850Cause,
    reason: attempt.rule ?? attempt.providerCode,
    legacyCode: toLegacyResultCode(attempt, mode),
    instance: scope.instance,
    replayed: scope.replayed,
  };
}

/** The row of the final status. */
export function finalRow(scope: AuditScope, result: VerificationResult): AuditEntry {
  return {
    ...empty,
    verificationId: scope.verificationId,
    at: result.endedAt,
    kind: 'final',
    what: result.status,
    result: result.status,
    reason: result.reason,
    instance: scope.instance,
    replayed: scope.replayed,
  };
}

/**
 * Audit rows as JSON lines (one object per line), for shipping to a log store
 * or a SIEM.
 *
 * @example
 * ```ts
 * await writeFile('audit.jsonl', toAuditJsonLines(await store.readAudit()));
 * ```
 */
export function toAuditJsonLines(entries: readonly AuditEntry[]): string {
  return entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
}
