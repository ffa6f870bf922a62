/**
 * Verifications, audit entries and outbox entries as rows of the SQL stores'
 * tables (the same columns in SQLite and PostgreSQL). JSON values are kept as
 * text, written and read whole; a row that does not read back is a
 * `CorruptRecordError` for its verification alone.
 *
 * @module
 */
import { storedAuditEntry } from './audit.js';
import { storedTime, storedTimes } from './deadline.js';
import { CorruptRecordError } from './errors.js';
import type { AuditEntry, JsonValue, OutboxDelivery, OutboxEntry, StoredStatus, StoredVerification } from './types.js';

/** A verification as a row. */
export interface VerificationRow {
  id: string;
  version: number;
  status: StoredStatus;
  input: string;
  snapshot: string;
  provider: string;
  due_at: number | null;
  result: string;
  user_id: string | null;
  created_at: number;
  updated_at: number;
}

/** An audit entry as a row (its sequence number is the table's). */
export interface AuditRow {
  verification_id: string;
  at: number;
  kind: AuditEntry['kind'];
  what: string;
  attempt: number | null;
  number: string | null;
  result: string | null;
  sit_kind: string | null;
  sip_code: number | null;
  q850_cause: number | null;
  reason: string | null;
  legacy_code: string | null;
  instance: string;
  replayed: boolean;
}

/** A new outbox entry as a row. */
export interface NewOutboxRow {
  id: string;
  verification_id: string;
  delivery: OutboxDelivery;
  payload: string;
  created_at: number;
}

const STATUSES: ReadonlySet<string> = new Set<StoredStatus>(['active', 'finished']);
const DELIVERIES: ReadonlySet<string> = new Set<OutboxDelivery>(['at-most-once', 'at-least-once']);

const toJson = (value: JsonValue): string => JSON.stringify(value);

export function toVerificationRow(verification: StoredVerification): VerificationRow {
  const { dueAt, createdAt, updatedAt } = storedTimes(verification);
  return {
    id: verification.id,
    version: verification.version,
    status: verification.status,
    input: toJson(verification.input),
    snapshot: toJson(verification.snapshot),
    provider: toJson(verification.provider),
    due_at: dueAt,
    result: toJson(verification.result),
    user_id: verification.userId,
    created_at: createdAt,
    updated_at: updatedAt,
  };
}

/** Reads a row back, checking every column; `id` is the verification asked for, named in the error. */
export function fromVerificationRow(id: string, row: Record<string, unknown>): StoredVerification {
  const fail = (detail: string, cause?: unknown): never => {
    throw new CorruptRecordError(id, detail, cause === undefined ? undefined : { cause });
  };
  const json = (column: string): JsonValue => {
    const text = row[column];
    if (typeof text !== 'string') return fail(`column ${column} holds no JSON text`);
    try {
      return JSON.parse(text) as JsonValue;
    } catch (error) {
      return fail(`column ${column} is not valid JSON`, error);
    }
  };
  const time = (column: string, nullable: boolean): number | null => {
    const value = row[column];
    if (value === null && nullable) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`column ${column} is not a time`);
    return value;
  };
  const { version, status, user_id: userId } = row;
  if (row.id !== id) fail(`the row's id is ${JSON.stringify(row.id)}`);
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) fail('its version is not a number');
  if (typeof status !== 'string' || !STATUSES.has(status)) fail(`its status ${JSON.stringify(status)} is unknown`);
  if (userId !== null && typeof userId !== 'string') fail('its user id is not text');
  return {
    id,
    version: version as number,
    status: status as StoredStatus,
    input: json('input'),
    snapshot: json('snapshot'),
    provider: json('provider'),
    dueAt: status === 'finished' ? null : time('due_at', true),
    result: json('result'),
    userId: userId as string | null,
    createdAt: time('created_at', false) as number,
    updatedAt: time('updated_at', false) as number,
  };
}

/** An audit entry as a row, its text as every store keeps it (see `storedAuditEntry`). */
export function toAuditRow(given: AuditEntry): AuditRow {
  const entry = storedAuditEntry(given);
  return {
    verification_id: entry.verificationId,
    at: entry.at,
    kind: entry.kind,
    what: entry.what,
    attempt: entry.attempt,
    number: entry.number,
    result: entry.result,
    sit_kind: entry.sitKind,
    sip_code: entry.sipCode,
    q850_cause: entry.q850Cause,
    reason: entry.reason,
    legacy_code: entry.legacyCode,
    instance: entry.instance,
    replayed: entry.replayed,
  };
}

/** An audit row as read: `replayed` is a boolean in PostgreSQL and 0 or 1 in SQLite. */
export function fromAuditRow(row: Omit<AuditRow, 'replayed'> & { replayed: boolean | number }): AuditEntry {
  return {
    verificationId: row.verification_id,
    at: row.at,
    kind: row.kind,
    what: row.what,
    attempt: row.attempt,
    number: row.number,
    result: row.result,
    sitKind: row.sit_kind,
    sipCode: row.sip_code,
    q850Cause: row.q850_cause,
    reason: row.reason,
    legacyCode: row.legacy_code,
    instance: row.instance,
    replayed: Boolean(row.replayed),
  };
}

export function toOutboxRow(entry: Omit<OutboxEntry, 'startedAt' | 'leaseUntil' | 'tries'>): NewOutboxRow {
  return {
    id: entry.id,
    verification_id: entry.verificationId,
    delivery: entry.delivery,
    payload: toJson(entry.payload),
    created_at: storedTime(entry.createdAt),
  };
}

/** An outbox row as read. */
export interface OutboxRow {
  id: string;
  verification_id: string;
  delivery: string;
  payload: unknown;
  created_at: number;
  started_at: number | null;
  lease_until: number | null;
  tries: number;
}

/** Reads an outbox row back; a damaged one is a `CorruptRecordError` of its verification. */
export function fromOutboxRow(row: OutboxRow): OutboxEntry {
  const fail = (detail: string, cause?: unknown): never => {
    throw new CorruptRecordError(row.verification_id, `outbox entry ${row.id} ${detail}`, { cause });
  };
  if (!DELIVERIES.has(row.delivery)) fail(`has an unknown delivery ${JSON.stringify(row.delivery)}`);
  let payload: JsonValue = null;
  try {
    payload = JSON.parse(String(row.payload)) as JsonValue;
  } catch (error) {
    fail('holds a payload that is not valid JSON', error);
  }
  return {
    id: row.id,
    verificationId: row.verification_id,
    delivery: row.delivery as OutboxDelivery,
    payload,
    createdAt: row.created_at,
    startedAt: row.started_at,
    leaseUntil: row.lease_until,
    tries: row.tries,
  };
}

/** Reads outbox rows back, leaving out those that cannot be read (they stay in the table, for inspection). */
export function fromOutboxRows(rows: readonly OutboxRow[]): OutboxEntry[] {
  return rows.flatMap((row) => {
    try {
      return [fromOutboxRow(row)];
    } catch {
      return [];
    }
  });
}
