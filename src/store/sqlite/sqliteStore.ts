/**
 * The SQLite verification store: one database file, shared by any number of
 * processes on one host. A step holds the database's write lock
 * (`BEGIN IMMEDIATE`) for as long as its callback runs, so steps never
 * interleave, in this process or any other; within the process the one
 * writing connection is taken in turn.
 *
 * @module
 */
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { optionNames } from '../../optionNames.js';
import { type RuntimeClock, systemClock } from '../../runtime/clock.js';
import { checkAuditFilter, checkAuditPageRequest, placeBeyondLog, readSequencePlace, sequencePlace } from '../audit.js';
import { DuplicateVerificationError, StaleWriteError, StoreUnavailableError } from '../errors.js';
import { checkSchemaVersion } from '../migrations.js';
import { checkOptions, DEFAULT_LOCK_TIMEOUT_MS } from '../options.js';
import { checkPurgeArguments, purgeBound } from '../retention.js';
import {
  fromAuditRow,
  fromOutboxRows,
  fromVerificationRow,
  type OutboxRow,
  toAuditRow,
  toOutboxRow,
  toVerificationRow,
} from '../rows.js';
import type {
  AuditEntry,
  AuditPage,
  AuditPageRequest,
  Binding,
  LockedVerification,
  OutboxEntry,
  StepWrite,
  StoredVerification,
  VerificationStore,
} from '../types.js';
import { bringsWorkForward, callWakeListeners } from '../wake.js';
import { WorkQueues } from '../workQueues.js';
import { backupSqliteDatabase, type SqliteBackup } from './backup.js';
import {
  beginImmediate,
  openSqliteDatabase,
  type SqliteSynchronous,
  SYNCHRONOUS_MODES,
  toStoreError,
} from './connection.js';
import { applySqliteMigrations, readSqliteSchemaVersion, SQLITE_MIGRATIONS } from './schema.js';

/**
 * Options of a {@link SqliteVerificationStore}.
 *
 * @example
 * ```ts
 * const options: SqliteVerificationStoreOptions = { path: 'data/verifications.db', synchronous: 'full' };
 * ```
 */
export interface SqliteVerificationStoreOptions {
  /** The database file; created on first use if missing (its directory must exist). */
  path: string;
  /**
   * `full` (default): each commit is on the disk before it returns, so a power
   * cut loses nothing that was answered. `normal`: commits are flushed at
   * checkpoints only, several times faster on slow disks; a power cut or an
   * operating-system crash may lose the last commits, never corrupt the file
   * (a crash of the process alone loses nothing either way).
   */
  synchronous?: SqliteSynchronous;
  /**
   * How long a step waits for another process's step to finish before a
   * `StoreUnavailableError`. Default 12 000 ms: twice the longest a step holds
   * the lock through a host's check that hangs (the service's default
   * `checkTimeoutMs`, 5 000 ms, and 1 000 ms of grace).
   */
  lockTimeoutMs?: number;
  /** The store's clock. Default: the system clock (every process on the host shares it). */
  clock?: Pick<RuntimeClock, 'now'>;
}

/** The options a SQLite store knows. */
const SQLITE_STORE_OPTIONS = optionNames<SqliteVerificationStoreOptions>({
  path: true,
  synchronous: true,
  lockTimeoutMs: true,
  clock: true,
});

/** The two connections: one that writes (taken in turn), one that reads what was committed without waiting. */
interface Connections {
  writer: Database.Database;
  reader: Database.Database;
}

type Statement = Database.Statement<unknown[], unknown>;

/** Statements prepared once the schema is known to be current. */
interface Statements {
  selectVerification: Statement;
  selectAnswer: Statement;
  insertVerification: Statement;
  updateVerification: Statement;
  insertAudit: Statement;
  insertOutbox: Statement;
  dropOutbox: Statement;
  dropStrandedOutbox: Statement;
  upsertBinding: Statement;
  upsertAnswer: Statement;
  claimDue: Statement;
  startOutbox: Statement;
  holdOutbox: Statement;
  finishOutbox: Statement;
  readVerification: Statement;
  findBinding: Statement;
  findOutbox: Statement;
  readAudit: Statement;
  readAllAudit: Statement;
  readAuditPage: Statement;
  readAllAuditPage: Statement;
  lastAuditSeq: Statement;
  selectPurgeable: Statement;
  purgeVerifications: Statement;
  purgeAnswers: Statement;
  purgeBindings: Statement;
  purgeOutbox: Statement;
  purgeAudit: Statement;
}

function prepareStatements({ writer, reader }: Connections): Statements {
  return {
    selectVerification: writer.prepare('SELECT * FROM verifications WHERE id = ?'),
    selectAnswer: writer.prepare('SELECT value FROM answers WHERE verification_id = ? AND key = ?').pluck(),
    // Every INSERT names its columns: a column a later release adds must not break this one's writes.
    insertVerification: writer.prepare(
      `INSERT INTO verifications (id, version, status, input, snapshot, provider, due_at, result, user_id,
         created_at, updated_at)
       VALUES (@id, @version, @status, @input, @snapshot, @provider, @due_at, @result, @user_id, @created_at,
         @updated_at)`,
    ),
    updateVerification: writer.prepare(
      `UPDATE verifications SET version = @version, status = @status, input = @input, snapshot = @snapshot,
         provider = @provider, due_at = @due_at, claimed_until = NULL, result = @result, user_id = @user_id,
         created_at = @created_at, updated_at = @updated_at
       WHERE id = @id AND version = @previous_version`,
    ),
    insertAudit: writer.prepare(
      `INSERT INTO audit_log (verification_id, at, kind, what, attempt, number, result, sit_kind, sip_code, q850_cause,
         reason, legacy_code, instance, replayed)
       VALUES (@verification_id, @at, @kind, @what, @attempt, @number, @result, @sit_kind, @sip_code, @q850_cause,
         @reason, @legacy_code, @instance, @replayed)`,
    ),
    insertOutbox: writer.prepare(
      `INSERT INTO outbox (id, verification_id, delivery, payload, created_at)
       VALUES (@id, @verification_id, @delivery, @payload, @created_at)`,
    ),
    dropOutbox: writer.prepare('DELETE FROM outbox WHERE id = ? AND started_at IS NULL'),
    // An at-most-once effect started and never finished is never offered again: it goes once its verification finished.
    dropStrandedOutbox: writer.prepare(
      `DELETE FROM outbox WHERE verification_id = ? AND delivery = 'at-most-once' AND started_at IS NOT NULL`,
    ),
    upsertBinding: writer.prepare(
      `INSERT INTO bindings (kind, key, verification_id) VALUES (?, ?, ?)
       ON CONFLICT (kind, key) DO UPDATE SET verification_id = excluded.verification_id`,
    ),
    upsertAnswer: writer.prepare(
      `INSERT INTO answers (verification_id, key, value) VALUES (?, ?, ?)
       ON CONFLICT (verification_id, key) DO UPDATE SET value = excluded.value`,
    ),
    claimDue: writer.prepare(
      `UPDATE verifications SET claimed_until = @until
       WHERE id IN (
         SELECT id FROM verifications
         WHERE status = 'active' AND due_at <= @now AND (claimed_until IS NULL OR claimed_until <= @now)
         ORDER BY due_at, id LIMIT @limit)
       RETURNING id, due_at`,
    ),
    startOutbox: writer.prepare(
      `UPDATE outbox SET started_at = @now, lease_until = @until, tries = tries + 1
       WHERE id = @id AND (started_at IS NULL OR (delivery = 'at-least-once' AND lease_until < @now))`,
    ),
    holdOutbox: writer.prepare('UPDATE outbox SET lease_until = @until WHERE id = @id AND started_at IS NULL'),
    finishOutbox: writer.prepare('DELETE FROM outbox WHERE id = ?'),
    readVerification: reader.prepare('SELECT * FROM verifications WHERE id = ?'),
    findBinding: reader.prepare('SELECT verification_id FROM bindings WHERE kind = ? AND key = ?').pluck(),
    findOutbox: reader.prepare(
      `SELECT * FROM outbox
       WHERE (started_at IS NULL AND created_at <= @olderThan AND (lease_until IS NULL OR lease_until < @now))
          OR (delivery = 'at-least-once' AND started_at IS NOT NULL AND lease_until < @now)
       ORDER BY coalesce(lease_until, created_at), created_at, rowid LIMIT @limit`,
    ),
    readAudit: reader.prepare('SELECT * FROM audit_log WHERE verification_id = ? ORDER BY seq LIMIT ?'),
    readAllAudit: reader.prepare('SELECT * FROM audit_log ORDER BY seq LIMIT ?'),
    readAuditPage: reader.prepare(
      'SELECT * FROM audit_log WHERE verification_id = @verificationId AND seq > @after ORDER BY seq LIMIT @limit',
    ),
    readAllAuditPage: reader.prepare('SELECT * FROM audit_log WHERE seq > @after ORDER BY seq LIMIT @limit'),
    lastAuditSeq: reader.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'`).pluck(),
    // Retention reads through the partial index verifications_finished and audit_log_at (migration 2).
    selectPurgeable: writer
      .prepare(
        `SELECT id FROM verifications WHERE status = 'finished' AND updated_at < @before ORDER BY updated_at LIMIT @limit`,
      )
      .pluck(),
    // The ids of a batch go in as one JSON array: each table is visited once per batch (the outbox, which
    // holds pending effects only and has no index by verification, is read once, not once per id).
    purgeVerifications: writer.prepare('DELETE FROM verifications WHERE id IN (SELECT value FROM json_each(?))'),
    purgeAnswers: writer.prepare('DELETE FROM answers WHERE verification_id IN (SELECT value FROM json_each(?))'),
    purgeBindings: writer.prepare('DELETE FROM bindings WHERE verification_id IN (SELECT value FROM json_each(?))'),
    purgeOutbox: writer.prepare('DELETE FROM outbox WHERE verification_id IN (SELECT value FROM json_each(?))'),
    purgeAudit: writer.prepare(
      'DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log WHERE at < @before ORDER BY at LIMIT @limit)',
    ),
  };
}

/**
 * Verifications in a SQLite database file, the embedded default: no server,
 * several processes on one host may share the file. Open with `new`, then
 * `await store.migrate()` once at start-up (every process may; they take
 * turns). Back it up while it runs with {@link SqliteVerificationStore.backup}.
 *
 * SQLite has no notifications between processes: {@link SqliteVerificationStore.onWake} listeners
 * hear this store's own commits only, and other processes find new work by
 * their periodic sweep.
 *
 * @example
 * ```ts
 * import { SqliteVerificationStore } from 'voice-mfa/sqlite';
 *
 * const store = new SqliteVerificationStore({ path: 'data/verifications.db' });
 * await store.migrate();
 * const stored = await store.read('v-1');
 * await store.close();
 * ```
 */
export class SqliteVerificationStore implements VerificationStore {
  readonly kind = 'sqlite';
  /** Absolute path of the database file. */
  readonly path: string;
  private readonly synchronous: SqliteSynchronous;
  private readonly lockTimeoutMs: number;
  private readonly clock: Pick<RuntimeClock, 'now'>;
  private readonly writes = new WorkQueues();
  private readonly listeners = new Set<() => void>();
  private connections: Connections | null = null;
  private statements: Statements | null = null;
  private closed = false;

  /** @throws `InvalidServiceConfigurationError` (from `voice-mfa`) listing every option that cannot work. */
  constructor(options: SqliteVerificationStoreOptions) {
    checkOptions('SQLite store', options, SQLITE_STORE_OPTIONS, ({ options: given, issues, durations, clock }) => {
      if (typeof given.path !== 'string')
        issues.push({ path: 'path', message: 'must be the path of the database file' });
      if (given.synchronous !== undefined && !SYNCHRONOUS_MODES.includes(given.synchronous as SqliteSynchronous)) {
        issues.push({
          path: 'synchronous',
          message: `must be 'full' or 'normal', got ${JSON.stringify(given.synchronous)}`,
        });
      }
      durations('lockTimeoutMs');
      clock('clock');
    });
    if (options.path === '' || options.path === ':memory:' || options.path.startsWith('file::memory:')) {
      throw new StoreUnavailableError(
        'A SQLite store needs a file that its connections share: use MemoryVerificationStore for one in memory',
      );
    }
    this.path = resolve(options.path);
    this.synchronous = options.synchronous ?? 'full';
    this.lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.clock = options.clock ?? systemClock;
  }

  /** Creates the schema or brings it up to date; processes that start together take turns. */
  async migrate(): Promise<void> {
    await this.writes.run('writer', async () => {
      const { writer } = this.connect();
      await beginImmediate(writer, this.path, this.lockTimeoutMs);
      try {
        applySqliteMigrations(writer, `The SQLite database ${this.path}`, this.clock.now());
        writer.exec('COMMIT');
      } catch (error) {
        if (writer.inTransaction) writer.exec('ROLLBACK');
        throw toStoreError(error, this.path);
      }
    });
  }

  async now(): Promise<number> {
    return this.clock.now();
  }

  async create(write: StepWrite): Promise<void> {
    const { id } = write.verification;
    await this.transaction((sql) => {
      if (sql.selectVerification.get(id) !== undefined) throw new DuplicateVerificationError(id);
      this.applyWrite(sql, id, null, write);
    });
    if (bringsWorkForward(null, write)) this.wake();
  }

  async withVerification<T>(
    id: string,
    idempotencyKey: string | null,
    step: (locked: LockedVerification) => Promise<{ write: StepWrite | null; value: T }>,
  ): Promise<T> {
    let wake = false;
    const value = await this.transaction(async (sql) => {
      const row = sql.selectVerification.get(id) as Record<string, unknown> | undefined;
      const verification = row === undefined ? null : fromVerificationRow(id, row);
      const storedAnswer =
        idempotencyKey === null ? null : ((sql.selectAnswer.get(id, idempotencyKey) as string | undefined) ?? null);
      const { write, value } = await step({ verification, storedAnswer, now: this.clock.now() });
      if (write !== null) {
        this.applyWrite(sql, id, verification, write);
        wake = bringsWorkForward(verification?.dueAt ?? null, write);
      }
      return value;
    });
    if (wake) this.wake();
    return value;
  }

  async read(id: string): Promise<StoredVerification | null> {
    const row = this.query((sql) => sql.readVerification.get(id)) as Record<string, unknown> | undefined;
    return row === undefined ? null : fromVerificationRow(id, row);
  }

  async findBinding(binding: Binding): Promise<string | null> {
    return (this.query((sql) => sql.findBinding.get(binding.kind, binding.key)) as string | undefined) ?? null;
  }

  async claimDue(now: number, limit: number, claimMs: number): Promise<string[]> {
    const claimed = await this.transaction(
      (sql) => sql.claimDue.all({ now, until: now + claimMs, limit }) as { id: string; due_at: number }[],
    );
    return claimed.sort((a, b) => a.due_at - b.due_at || (a.id < b.id ? -1 : 1)).map((row) => row.id);
  }

  /** Entries whose payload cannot be read are left out (and left in place, for inspection). */
  async findOutbox(now: number, olderThan: number, limit: number): Promise<OutboxEntry[]> {
    const rows = this.query((sql) => sql.findOutbox.all({ now, olderThan, limit })) as OutboxRow[];
    return fromOutboxRows(rows);
  }

  async startOutbox(id: string, now: number, leaseMs: number): Promise<boolean> {
    return this.transaction((sql) => sql.startOutbox.run({ id, now, until: now + leaseMs }).changes === 1);
  }

  async holdOutbox(ids: readonly string[], until: number): Promise<void> {
    await this.transaction((sql) => {
      for (const id of ids) sql.holdOutbox.run({ id, until });
    });
  }

  async finishOutbox(id: string): Promise<void> {
    await this.transaction((sql) => sql.finishOutbox.run(id));
  }

  async readAudit(filter: { verificationId?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const { verificationId, limit = -1 } = checkAuditFilter(filter);
    const rows = this.query((sql) =>
      verificationId === undefined ? sql.readAllAudit.all(limit) : sql.readAudit.all(verificationId, limit),
    ) as Parameters<typeof fromAuditRow>[0][];
    return rows.map(fromAuditRow);
  }

  async readAuditPage(request: AuditPageRequest): Promise<AuditPage> {
    const { place, limit, verificationId } = checkAuditPageRequest(request, readSequencePlace, 0);
    // The rows first: the last number given, read after them, can only have grown.
    const { rows, lastSeq } = this.query((sql) => ({
      rows: (verificationId === undefined
        ? sql.readAllAuditPage.all({ after: place, limit })
        : sql.readAuditPage.all({ verificationId, after: place, limit })) as (Parameters<typeof fromAuditRow>[0] & {
        seq: number;
      })[],
      lastSeq: (sql.lastAuditSeq.get() as number | undefined) ?? 0,
    }));
    if (place > lastSeq) throw placeBeyondLog(String(request.after));
    return { entries: rows.map(fromAuditRow), next: sequencePlace(rows.at(-1)?.seq ?? place) };
  }

  async purgeFinished(finishedBefore: number, limit: number): Promise<number> {
    checkPurgeArguments('finishedBefore', finishedBefore, limit, 'verifications');
    return this.transaction((sql) => {
      const ids = JSON.stringify(sql.selectPurgeable.all({ before: purgeBound(finishedBefore), limit }));
      for (const purge of [sql.purgeAnswers, sql.purgeBindings, sql.purgeOutbox]) purge.run(ids);
      return sql.purgeVerifications.run(ids).changes;
    });
  }

  async purgeAudit(before: number, limit: number): Promise<number> {
    checkPurgeArguments('before', before, limit, 'audit rows');
    return this.transaction((sql) => sql.purgeAudit.run({ before: purgeBound(before), limit }).changes);
  }

  onWake(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Writes a consistent copy of the database to `destinationPath` while every
   * process goes on working (`VACUUM INTO`, in a worker thread), checks it with
   * `PRAGMA integrity_check`, and only then puts it in place of the previous
   * backup at that path. Restore it with {@link restoreSqliteBackup}.
   *
   * @example
   * ```ts
   * const { path, bytes } = await store.backup(`backups/verifications-${new Date().toISOString().slice(0, 10)}.db`);
   * ```
   */
  async backup(destinationPath: string): Promise<SqliteBackup> {
    this.connect();
    return backupSqliteDatabase(this.path, destinationPath, this.lockTimeoutMs);
  }

  /** Waits for the work under way, then closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.writes.idle();
    this.connections?.reader.close();
    this.connections?.writer.close();
    this.connections = null;
    this.statements = null;
  }

  private connect(): Connections {
    if (this.closed) throw new StoreUnavailableError(`The SQLite store ${this.path} is closed`);
    if (this.connections === null) {
      const options = { synchronous: this.synchronous, busyTimeoutMs: this.lockTimeoutMs };
      const writer = openSqliteDatabase(this.path, { ...options, role: 'writer' });
      try {
        this.connections = { writer, reader: openSqliteDatabase(this.path, { ...options, role: 'reader' }) };
      } catch (error) {
        writer.close();
        throw error;
      }
    }
    return this.connections;
  }

  /** The prepared statements, once the schema is known to be this library's. */
  private sql(): Statements {
    const connections = this.connect();
    if (this.statements === null) {
      try {
        checkSchemaVersion(
          readSqliteSchemaVersion(connections.reader),
          SQLITE_MIGRATIONS,
          `The SQLite database ${this.path}`,
        );
        this.statements = prepareStatements(connections);
      } catch (error) {
        throw toStoreError(error, this.path);
      }
    }
    return this.statements;
  }

  private query<T>(query: (sql: Statements) => T): T {
    const sql = this.sql();
    try {
      return query(sql);
    } catch (error) {
      throw toStoreError(error, this.path);
    }
  }

  /** Runs `work` holding the write lock, and commits what it did; nothing of it stays if it throws. */
  private transaction<T>(work: (sql: Statements) => T | Promise<T>): Promise<T> {
    return this.writes.run('writer', async () => {
      const sql = this.sql();
      const { writer } = this.connect();
      await beginImmediate(writer, this.path, this.lockTimeoutMs);
      try {
        const result = await work(sql);
        writer.exec('COMMIT');
        return result;
      } catch (error) {
        if (writer.inTransaction) writer.exec('ROLLBACK');
        throw toStoreError(error, this.path);
      }
    });
  }

  /** Writes a step over `previous` (or a first one), refusing any version but the next. */
  private applyWrite(sql: Statements, id: string, previous: StoredVerification | null, write: StepWrite): void {
    const { verification } = write;
    const previousVersion = previous?.version ?? 0;
    if (verification.id !== id || verification.version !== previousVersion + 1) {
      throw new StaleWriteError(id, verification.version);
    }
    const row = toVerificationRow(verification);
    if (previous === null) sql.insertVerification.run(row);
    else if (sql.updateVerification.run({ ...row, previous_version: previousVersion }).changes !== 1) {
      throw new StaleWriteError(id, verification.version);
    }
    for (const entry of write.audit) {
      const audit = toAuditRow(entry);
      sql.insertAudit.run({ ...audit, replayed: audit.replayed ? 1 : 0 });
    }
    for (const outboxId of write.dropOutbox ?? []) sql.dropOutbox.run(outboxId);
    if (verification.status === 'finished') sql.dropStrandedOutbox.run(id);
    for (const entry of write.outbox) sql.insertOutbox.run(toOutboxRow(entry));
    for (const binding of write.bindings ?? []) sql.upsertBinding.run(binding.kind, binding.key, id);
    if (write.answer !== undefined) sql.upsertAnswer.run(id, write.answer.key, write.answer.value);
  }

  private wake(): void {
    callWakeListeners(this.listeners);
  }
}
