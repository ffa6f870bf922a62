/**
 * The PostgreSQL verification store, for many instances on many hosts. A step
 * is one transaction: the verification's row locked with `SELECT … FOR
 * UPDATE` (and the stored answer read with it), the host's callback, then
 * every write in one statement gated on the version fence, and `COMMIT`. All
 * time comes from the database's clock.
 *
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { InvalidRequestError } from '../../errors.js';
import { optionNames } from '../../optionNames.js';
import { checkAuditFilter, checkAuditPageRequest, withoutNul } from '../audit.js';
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
import { connect, describeServer, type Queryable, query } from './connection.js';
import { migratePostgres, postgresMigrations, readPostgresSchemaVersion, schemaNameProblem } from './schema.js';
import { WAKE_CHANNEL, WakeListener, type WakePayload } from './wakeListener.js';

/**
 * Options of a {@link PostgresVerificationStore}: a connection string (the
 * store then owns its pool) or a `pg.Pool` the host owns.
 *
 * @example
 * ```ts
 * const options: PostgresVerificationStoreOptions = {
 *   connectionString: 'postgres://voice@db.internal:5432/app',
 *   schema: 'voice_mfa',
 * };
 * ```
 */
export interface PostgresVerificationStoreOptions {
  /** Where the database is, e.g. `postgres://user:password@host:5432/database`. The store makes and ends its own pool. */
  connectionString?: string;
  /** A pool the host owns and ends; the store only borrows its clients (and opens one more to listen, with its settings). */
  pool?: pg.Pool;
  /** The schema the store's tables live in, created by `migrate()`. Default `voice_mfa`. */
  schema?: string;
  /** How long connecting may take before a `StoreUnavailableError`, for the store's own pool and its listener. Default 5 000 ms. */
  connectionTimeoutMs?: number;
  /** Connections in the store's own pool. Default 10. */
  maxConnections?: number;
  /**
   * How long a step waits for another step on the same verification before a
   * `StoreUnavailableError`. Default 12 000 ms: twice the longest a step holds
   * the lock through a host's check that hangs (the service's default
   * `checkTimeoutMs`, 5 000 ms, and 1 000 ms of grace).
   */
  lockTimeoutMs?: number;
}

/** The options a PostgreSQL store knows. */
const POSTGRES_STORE_OPTIONS = optionNames<PostgresVerificationStoreOptions>({
  connectionString: true,
  pool: true,
  schema: true,
  connectionTimeoutMs: true,
  maxConnections: true,
  lockTimeoutMs: true,
});

/** The database's clock in milliseconds. */
const DATABASE_NOW = 'floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

/**
 * Whether a text holds a NUL, which PostgreSQL's `text` cannot: no row holds
 * one, so a lookup by it (an id or key from an untrusted webhook) finds
 * nothing, as in the other stores, instead of failing.
 */
const holdsNul = (text: string): boolean => typeof text === 'string' && text.includes('\u0000');

/** The statement that writes a step: the verification first; everything else only if that was written. */
function writeStatement(s: string, firstVersion: boolean): string {
  const verification = firstVersion
    ? `INSERT INTO ${s}.verifications
         (id, version, status, input, snapshot, provider, due_at, result, user_id, created_at, updated_at)
       SELECT $1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 WHERE $2::integer = 0
       ON CONFLICT (id) DO NOTHING
       RETURNING version`
    : `UPDATE ${s}.verifications SET version = $3, status = $4, input = $5, snapshot = $6, provider = $7,
         due_at = $8, claimed_until = NULL, result = $9, user_id = $10, created_at = $11, updated_at = $12
       WHERE id = $1 AND version = $2
       RETURNING version`;
  return `WITH written AS (${verification}),
    audit AS (
      INSERT INTO ${s}.audit_log (verification_id, at, kind, what, attempt, number, result, sit_kind, sip_code,
        q850_cause, reason, legacy_code, instance, replayed)
      SELECT r.* FROM json_to_recordset($13::json) AS r(verification_id text, at bigint, kind text, what text,
        attempt integer, number text, result text, sit_kind text, sip_code integer, q850_cause integer, reason text,
        legacy_code text, instance text, replayed boolean)
      WHERE EXISTS (SELECT 1 FROM written)),
    dropped AS (
      DELETE FROM ${s}.outbox
      WHERE id = ANY($14::text[]) AND started_at IS NULL AND EXISTS (SELECT 1 FROM written)),
    -- An at-most-once effect started and never finished is never offered again: it goes once its verification finished.
    stranded AS (
      DELETE FROM ${s}.outbox
      WHERE verification_id = $1 AND $4::text = 'finished' AND delivery = 'at-most-once' AND started_at IS NOT NULL
        AND EXISTS (SELECT 1 FROM written)),
    effects AS (
      INSERT INTO ${s}.outbox (id, verification_id, delivery, payload, created_at)
      SELECT r.* FROM json_to_recordset($15::json) AS r(id text, verification_id text, delivery text, payload text,
        created_at bigint)
      WHERE EXISTS (SELECT 1 FROM written)),
    bound AS (
      INSERT INTO ${s}.bindings (kind, key, verification_id)
      SELECT b.kind, b.key, $1 FROM unnest($16::text[], $17::text[]) AS b(kind, key)
      WHERE EXISTS (SELECT 1 FROM written)
      ON CONFLICT (kind, key) DO UPDATE SET verification_id = excluded.verification_id),
    answered AS (
      INSERT INTO ${s}.answers (verification_id, key, value)
      SELECT $1, $18::text, $19::text WHERE $18::text IS NOT NULL AND EXISTS (SELECT 1 FROM written)
      ON CONFLICT (verification_id, key) DO UPDATE SET value = excluded.value),
    notified AS (
      SELECT pg_notify('${WAKE_CHANNEL}', $20::text) WHERE $20::text IS NOT NULL AND EXISTS (SELECT 1 FROM written))
    SELECT (SELECT count(*) FROM written)::integer AS written, (SELECT count(*) FROM notified)::integer AS notified`;
}

/** Bindings without repeats: one statement may not upsert the same key twice. */
function distinctBindings(bindings: readonly Binding[]): Binding[] {
  const seen = new Map<string, Binding>();
  for (const binding of bindings) seen.set(JSON.stringify([binding.kind, binding.key]), binding);
  return [...seen.values()];
}

/**
 * A place in the audit log: the log's epoch, the transaction that wrote the
 * last row read and the row's number, in decimal. The epoch is `null` at the
 * log's start, which every epoch shares.
 */
interface TransactionPlace {
  epoch: number | null;
  tx: string;
  seq: string;
}

const START: TransactionPlace = { epoch: null, tx: '0', seq: '0' };
const MAX_XID8 = 2n ** 64n - 1n;
const MAX_BIGINT = 2n ** 63n - 1n;

const transactionPlace = (epoch: number, { tx, seq }: Pick<TransactionPlace, 'tx' | 'seq'>): string =>
  `${epoch}.${tx}.${seq}`;

/** The place `after` names (`<epoch>.<transaction>.<number>`), or `null` when it is not one. */
function readTransactionPlace(after: string): TransactionPlace | null {
  const parts = /^([1-9]\d{0,9})\.(0|[1-9]\d{0,19})\.(0|[1-9]\d{0,18})$/.exec(after);
  if (parts === null) return null;
  const [, epoch = '', tx = '', seq = ''] = parts;
  const fits = Number(epoch) <= 2 ** 31 - 1 && BigInt(tx) <= MAX_XID8 && BigInt(seq) <= MAX_BIGINT;
  return fits ? { epoch: Number(epoch), tx, seq } : null;
}

/** Why a place of another epoch, or of a transaction the server has not reached, is refused. */
function stalePlaceError(after: string, reason: 'epoch' | 'ahead'): InvalidRequestError {
  const why =
    reason === 'epoch'
      ? 'it was taken before the log was brought here from another server (migrate() put the rows it brought first)'
      : 'it names a transaction this server has not reached (a restore to an earlier point, or another server)';
  return new InvalidRequestError([
    {
      path: 'request.after',
      message: `${after} is no longer a place in this log: ${why}; read it again from its start, or from a place taken before`,
    },
  ]);
}

/**
 * Verifications in PostgreSQL, for any number of instances: steps on one
 * verification take turns on its row lock, sweepers share due work with
 * `FOR UPDATE SKIP LOCKED`, and a commit that brings a deadline or an effect
 * forward wakes the other instances through `LISTEN`/`NOTIFY`. A server that
 * cannot be reached is a `StoreUnavailableError` after `connectionTimeoutMs`,
 * never a hang.
 *
 * @example
 * ```ts
 * import { PostgresVerificationStore } from 'voice-mfa/postgres';
 *
 * const store = new PostgresVerificationStore({ connectionString: process.env.DATABASE_URL });
 * await store.migrate();
 * const stop = store.onWake(() => sweepNow());
 * // … on shutdown:
 * stop();
 * await store.close();
 * ```
 */
export class PostgresVerificationStore implements VerificationStore {
  readonly kind = 'postgres';
  /** The schema the store's tables live in. */
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly listenConfig: pg.ClientConfig;
  private readonly server: string;
  private readonly lockTimeoutMs: number;
  private readonly id = randomUUID();
  private readonly table: (name: string) => string;
  /**
   * Names of this store's prepared statements. They are the connection's, so
   * stores of different schemas on one pool need different names; a hash of
   * the schema keeps them within PostgreSQL's 63 bytes, past which it cuts
   * names (and two long schemas would share one).
   */
  private readonly statement: (kind: 'lock' | 'answer' | 'insert' | 'update') => string;
  private readonly listeners = new Set<() => void>();
  private listener: WakeListener | null = null;
  private schemaChecked: Promise<void> | null = null;
  private closed = false;

  /** @throws `InvalidServiceConfigurationError` (from `voice-mfa`) listing every option that cannot work. */
  constructor(options: PostgresVerificationStoreOptions) {
    checkOptions('PostgreSQL store', options, POSTGRES_STORE_OPTIONS, ({ options: given, issues, durations }) => {
      if ((given.connectionString === undefined) === (given.pool === undefined)) {
        issues.push({ path: 'connectionString', message: 'give either a connectionString or a pool, not both' });
      } else if (given.connectionString !== undefined && typeof given.connectionString !== 'string') {
        issues.push({ path: 'connectionString', message: 'must be a string' });
      } else if (
        given.pool !== undefined &&
        typeof (given.pool as { connect?: unknown } | null)?.connect !== 'function'
      ) {
        // Not `instanceof pg.Pool`: the host's pool may come from its own copy of pg.
        issues.push({ path: 'pool', message: 'must be a pg.Pool' });
      }
      const schemaProblem = given.schema === undefined ? null : schemaNameProblem(given.schema);
      if (schemaProblem !== null) issues.push({ path: 'schema', message: schemaProblem });
      durations('connectionTimeoutMs');
      const { maxConnections } = given;
      if (
        maxConnections !== undefined &&
        !(Number.isInteger(maxConnections) && (maxConnections as number) >= 1 && (maxConnections as number) <= 10_000)
      ) {
        issues.push({ path: 'maxConnections', message: 'must be a whole number from 1 to 10000' });
      }
      durations('lockTimeoutMs');
    });
    this.schema = options.schema ?? 'voice_mfa';
    this.table = (name) => `"${this.schema}".${name}`;
    const schemaHash = createHash('sha256').update(this.schema).digest('hex').slice(0, 16);
    this.statement = (kind) => `voice_mfa_${kind}_${schemaHash}`;
    this.lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    const connectionTimeoutMillis = options.connectionTimeoutMs ?? 5_000;
    if (options.pool !== undefined) {
      this.pool = options.pool;
      this.ownsPool = false;
      this.listenConfig = { ...options.pool.options, connectionTimeoutMillis };
    } else {
      this.listenConfig = { connectionString: options.connectionString, connectionTimeoutMillis };
      this.pool = new pg.Pool({
        ...this.listenConfig,
        max: options.maxConnections ?? 10,
        application_name: 'voice-mfa',
      });
      // A pooled connection the server dropped while idle is discarded by the pool; the next query opens another.
      this.pool.on('error', () => {});
      this.ownsPool = true;
    }
    this.server = describeServer(this.listenConfig);
  }

  /** Creates the schema or brings it up to date; instances that start together take turns. */
  async migrate(): Promise<void> {
    const client = await connect(this.pool, this.server);
    try {
      await migratePostgres(client, this.server, this.schema);
    } finally {
      client.release();
    }
    this.schemaChecked = Promise.resolve();
  }

  async now(): Promise<number> {
    const { rows } = await this.query<{ now: number }>(`SELECT ${DATABASE_NOW} AS now`);
    return rows[0]?.now as number;
  }

  async create(write: StepWrite): Promise<void> {
    await this.ready();
    const { id } = write.verification;
    if (!(await this.writeStep(this.pool, id, null, write))) throw new DuplicateVerificationError(id);
    this.wakeOwn(null, write);
  }

  async withVerification<T>(
    id: string,
    idempotencyKey: string | null,
    step: (locked: LockedVerification) => Promise<{ write: StepWrite | null; value: T }>,
  ): Promise<T> {
    await this.ready();
    const client = await connect(this.pool, this.server);
    let broken: Error | undefined;
    try {
      await query(
        client,
        this.server,
        `BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.lockTimeoutMs))}`,
      );
      const { rows } = await query(
        client,
        this.server,
        `WITH locked AS (SELECT * FROM ${this.table('verifications')} WHERE id = $1 FOR UPDATE)
         SELECT ${DATABASE_NOW} AS now, locked.* FROM (SELECT 1) AS one LEFT JOIN locked ON true`,
        [id],
        this.statement('lock'),
      );
      const row = rows[0] as Record<string, unknown>;
      const verification = row.id === null ? null : fromVerificationRow(id, row);
      const { write, value } = await step({
        verification,
        storedAnswer: idempotencyKey === null ? null : await this.storedAnswer(client, id, idempotencyKey),
        now: row.now as number,
      });
      if (write !== null && !(await this.writeStep(client, id, verification, write))) {
        throw new StaleWriteError(id, write.verification.version);
      }
      await query(client, this.server, 'COMMIT');
      if (write !== null) this.wakeOwn(verification?.dueAt ?? null, write);
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Read in a statement of its own, after the lock is held: a statement that
   * waited for the lock re-reads the locked row, but its subqueries keep the
   * snapshot from before the wait, so they miss the answer the holder stored.
   */
  private async storedAnswer(client: Queryable, id: string, key: string): Promise<string | null> {
    const { rows } = await query<{ value: string }>(
      client,
      this.server,
      `SELECT value FROM ${this.table('answers')} WHERE verification_id = $1 AND key = $2`,
      // A NUL (a provider may take a key from an untrusted header) is kept as U+FFFD, alike when stored and looked up.
      [id, withoutNul(key)],
      this.statement('answer'),
    );
    return rows[0]?.value ?? null;
  }

  async read(id: string): Promise<StoredVerification | null> {
    if (holdsNul(id)) return null;
    await this.ready();
    const { rows } = await this.query(`SELECT * FROM ${this.table('verifications')} WHERE id = $1`, [id]);
    return rows[0] === undefined ? null : fromVerificationRow(id, rows[0]);
  }

  async findBinding(binding: Binding): Promise<string | null> {
    if (holdsNul(binding.kind) || holdsNul(binding.key)) return null;
    await this.ready();
    const { rows } = await this.query<{ verification_id: string }>(
      `SELECT verification_id FROM ${this.table('bindings')} WHERE kind = $1 AND key = $2`,
      [binding.kind, binding.key],
    );
    return rows[0]?.verification_id ?? null;
  }

  async claimDue(now: number, limit: number, claimMs: number): Promise<string[]> {
    await this.ready();
    const verifications = this.table('verifications');
    const { rows } = await this.query<{ id: string; due_at: number }>(
      `WITH due AS (
         SELECT id FROM ${verifications}
         WHERE status = 'active' AND due_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
         ORDER BY due_at LIMIT $3
         FOR UPDATE SKIP LOCKED)
       UPDATE ${verifications} AS v SET claimed_until = $2 FROM due WHERE v.id = due.id
       RETURNING v.id, v.due_at`,
      [now, now + claimMs, limit],
    );
    return rows.sort((a, b) => a.due_at - b.due_at || (a.id < b.id ? -1 : 1)).map((row) => row.id);
  }

  /** Entries whose payload cannot be read are left out (and left in place, for inspection). */
  async findOutbox(now: number, olderThan: number, limit: number): Promise<OutboxEntry[]> {
    await this.ready();
    const { rows } = await this.query<OutboxRow>(
      `SELECT * FROM ${this.table('outbox')}
       WHERE (started_at IS NULL AND created_at <= $2 AND (lease_until IS NULL OR lease_until < $1))
          OR (delivery = 'at-least-once' AND started_at IS NOT NULL AND lease_until < $1)
       ORDER BY coalesce(lease_until, created_at), created_at, seq LIMIT $3`,
      [now, olderThan, limit],
    );
    return fromOutboxRows(rows);
  }

  async startOutbox(id: string, now: number, leaseMs: number): Promise<boolean> {
    await this.ready();
    const { rowCount } = await this.query(
      `UPDATE ${this.table('outbox')} SET started_at = $2, lease_until = $3, tries = tries + 1
       WHERE id = $1 AND (started_at IS NULL OR (delivery = 'at-least-once' AND lease_until < $2))`,
      [id, now, now + leaseMs],
    );
    return rowCount === 1;
  }

  async holdOutbox(ids: readonly string[], until: number): Promise<void> {
    if (ids.length === 0) return;
    await this.ready();
    await this.query(
      `UPDATE ${this.table('outbox')} SET lease_until = $2 WHERE id = ANY($1::text[]) AND started_at IS NULL`,
      [ids, until],
    );
  }

  async finishOutbox(id: string): Promise<void> {
    await this.ready();
    await this.query(`DELETE FROM ${this.table('outbox')} WHERE id = $1`, [id]);
  }

  async readAudit(filter: { verificationId?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const { verificationId = null, limit = null } = checkAuditFilter(filter);
    if (verificationId !== null && holdsNul(verificationId)) return [];
    await this.ready();
    const { rows } = await this.query<Parameters<typeof fromAuditRow>[0]>(
      `SELECT * FROM ${this.table('audit_log')} WHERE ($1::text IS NULL OR verification_id = $1) ORDER BY seq LIMIT $2`,
      [verificationId, limit],
    );
    return rows.map(fromAuditRow);
  }

  /**
   * Pages go by the transaction that wrote each row, then its number, and
   * hold only rows of transactions older than every one still running
   * (`pg_snapshot_xmin`): those have all ended, so no row can commit before
   * a place once it was read. A place of another epoch, or of a transaction
   * this server has not reached, is refused: rows may now sort before it.
   */
  async readAuditPage(request: AuditPageRequest): Promise<AuditPage> {
    const { place, limit, verificationId } = checkAuditPageRequest(request, readTransactionPlace, START);
    await this.ready();
    const ofOne = verificationId !== undefined && !holdsNul(verificationId);
    // PostgreSQL's text holds no NUL, so no stored verification has an id with one: its pages are empty.
    const filter = verificationId === undefined ? '' : ofOne ? 'AND verification_id = $4' : 'AND false';
    const { rows } = await this.query<
      Parameters<typeof fromAuditRow>[0] & { epoch: number; ahead: boolean; tx: string | null; seq: string | null }
    >(
      `SELECT e.epoch, $1::xid8 >= pg_snapshot_xmax(pg_current_snapshot()) AS ahead, a.*
       FROM ${this.table('audit_epoch')} AS e
       LEFT JOIN LATERAL (
         SELECT * FROM ${this.table('audit_log')}
         WHERE (tx, seq) > ($1::xid8, $2::bigint) AND tx < pg_snapshot_xmin(pg_current_snapshot())
           ${filter}
         ORDER BY tx, seq LIMIT $3
       ) AS a ON true`,
      ofOne ? [place.tx, place.seq, limit, verificationId] : [place.tx, place.seq, limit],
    );
    const epoch = rows[0]?.epoch ?? 1;
    if (place.epoch !== null && (place.epoch !== epoch || rows[0]?.ahead === true)) {
      throw stalePlaceError(request.after ?? '', place.epoch !== epoch ? 'epoch' : 'ahead');
    }
    const found = rows.filter((row) => row.seq !== null);
    const last = found.at(-1);
    return {
      entries: found.map(fromAuditRow),
      next: transactionPlace(epoch, last === undefined ? place : { tx: last.tx ?? '0', seq: String(last.seq) }),
    };
  }

  /**
   * One statement, so one transaction. A verification whose step holds its
   * row is skipped (`SKIP LOCKED`), and the delete checks status and time
   * again, so that a step that committed meanwhile keeps its verification.
   */
  async purgeFinished(finishedBefore: number, limit: number): Promise<number> {
    checkPurgeArguments('finishedBefore', finishedBefore, limit, 'verifications');
    await this.ready();
    const t = this.table;
    const { rows } = await this.query<{ purged: number }>(
      `WITH purgeable AS (
         SELECT id FROM ${t('verifications')}
         WHERE status = 'finished' AND updated_at < $1
         ORDER BY updated_at LIMIT $2
         FOR UPDATE SKIP LOCKED),
       purged AS (
         DELETE FROM ${t('verifications')} AS v USING purgeable
         WHERE v.id = purgeable.id AND v.status = 'finished' AND v.updated_at < $1
         RETURNING v.id),
       answers AS (DELETE FROM ${t('answers')} WHERE verification_id IN (SELECT id FROM purged)),
       bindings AS (DELETE FROM ${t('bindings')} WHERE verification_id IN (SELECT id FROM purged)),
       outbox AS (DELETE FROM ${t('outbox')} WHERE verification_id IN (SELECT id FROM purged))
       SELECT count(*)::integer AS purged FROM purged`,
      [purgeBound(finishedBefore), limit],
    );
    return rows[0]?.purged ?? 0;
  }

  async purgeAudit(before: number, limit: number): Promise<number> {
    checkPurgeArguments('before', before, limit, 'audit rows');
    await this.ready();
    const auditLog = this.table('audit_log');
    const { rowCount } = await this.query(
      `DELETE FROM ${auditLog} WHERE seq IN (SELECT seq FROM ${auditLog} WHERE at < $1 ORDER BY at LIMIT $2)`,
      [purgeBound(before), limit],
    );
    return rowCount ?? 0;
  }

  /**
   * Calls `listener` after this store's commits that bring a deadline or an
   * effect forward, and after such commits of other instances (heard on a
   * connection of its own, opened with the first listener and closed with the
   * last).
   */
  onWake(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.listener === null && !this.closed) {
      this.listener = new WakeListener(this.listenConfig, this.schema, this.id, () => this.wake());
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopListening();
    };
  }

  /** Stops listening and, when the store made its pool, ends it; a host's pool is left to the host. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await this.stopListening();
    if (this.ownsPool) await this.pool.end();
  }

  private async stopListening(): Promise<void> {
    const listener = this.listener;
    this.listener = null;
    await listener?.stop();
  }

  private query<Row extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []) {
    if (this.closed) throw new StoreUnavailableError(`The store on ${this.server} is closed`);
    return query<Row>(this.pool, this.server, text, values);
  }

  /** Checks once that `migrate()` brought the schema to this library's version. */
  private ready(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreUnavailableError(`The store on ${this.server} is closed`));
    this.schemaChecked ??= readPostgresSchemaVersion(this.pool, this.server, this.schema).then((version) =>
      checkSchemaVersion(version, postgresMigrations(this.schema), `${this.server} (schema ${this.schema})`),
    );
    this.schemaChecked.catch(() => {
      this.schemaChecked = null;
    });
    return this.schemaChecked;
  }

  /**
   * Writes a step over `previous` (or a first one), refusing any version but
   * the next; `false` when the database refused it (the row moved on, or a
   * first version whose id exists).
   */
  private async writeStep(
    db: Queryable,
    id: string,
    previous: StoredVerification | null,
    write: StepWrite,
  ): Promise<boolean> {
    const { verification } = write;
    const previousVersion = previous?.version ?? 0;
    if (verification.id !== id || verification.version !== previousVersion + 1) {
      throw new StaleWriteError(id, verification.version);
    }
    const row = toVerificationRow(verification);
    const bindings = distinctBindings(write.bindings ?? []);
    const payload: WakePayload = { schema: this.schema, from: this.id };
    const firstVersion = previous === null;
    const { rows } = await query<{ written: number }>(
      db,
      this.server,
      writeStatement(`"${this.schema}"`, firstVersion),
      [
        id,
        previousVersion,
        row.version,
        row.status,
        row.input,
        row.snapshot,
        row.provider,
        row.due_at,
        row.result,
        row.user_id,
        row.created_at,
        row.updated_at,
        JSON.stringify(write.audit.map(toAuditRow)),
        write.dropOutbox ?? [],
        JSON.stringify(write.outbox.map(toOutboxRow)),
        bindings.map((binding) => binding.kind),
        bindings.map((binding) => binding.key),
        write.answer === undefined ? null : withoutNul(write.answer.key),
        write.answer?.value ?? null,
        bringsWorkForward(previous?.dueAt ?? null, write) ? JSON.stringify(payload) : null,
      ],
      this.statement(firstVersion ? 'insert' : 'update'),
    );
    return rows[0]?.written === 1;
  }

  /** This store's own commit: its listeners hear it at once (the server's notification of it is ignored). */
  private wakeOwn(previousDueAt: number | null, write: StepWrite): void {
    if (bringsWorkForward(previousDueAt, write)) this.wake();
  }

  private wake(): void {
    callWakeListeners(this.listeners);
  }
}
