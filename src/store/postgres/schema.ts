/**
 * The PostgreSQL store's schema, as migrations, in a schema of its own
 * (`voice_mfa` by default). JSON values are `text`, as in SQLite: the store
 * writes and reads them whole and never queries inside them, text costs the
 * server no conversion per step, keeps each value exactly as written, and
 * takes what `jsonb` refuses (a `\u0000` in a string from an untrusted
 * webhook). Operators can still query them with `snapshot::jsonb`. Times are
 * `bigint` milliseconds.
 *
 * @module
 */
import type pg from 'pg';
import { type Migration, pendingMigrations } from '../migrations.js';
import { query } from './connection.js';

/** A schema name as it may be written unquoted, so that it can be put in statements safely. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** What is wrong with a schema name, or `null` when, quoted, it is safe to put in a statement. */
export function schemaNameProblem(schema: unknown): string | null {
  return typeof schema === 'string' && SCHEMA_NAME.test(schema)
    ? null
    : `${JSON.stringify(schema)} is not allowed: use lower-case letters, digits and _ (at most 63)`;
}

/** Checks a schema name; quoted, it is safe to put in a statement. */
export function checkSchemaName(schema: string): string {
  const problem = schemaNameProblem(schema);
  if (problem !== null) throw new TypeError(`The schema name ${problem}`);
  return schema;
}

export function postgresMigrations(schema: string): Migration[] {
  const s = `"${checkSchemaName(schema)}"`;
  return [
    {
      version: 1,
      description: 'verifications, answers, bindings, audit log, outbox',
      statements: [
        `CREATE TABLE ${s}.verifications (
          id text PRIMARY KEY,
          version integer NOT NULL CHECK (version >= 1),
          status text NOT NULL CHECK (status IN ('active', 'finished')),
          input text NOT NULL,
          snapshot text NOT NULL,
          provider text NOT NULL,
          due_at bigint CHECK (status = 'active' OR due_at IS NULL),
          claimed_until bigint,
          result text NOT NULL,
          user_id text,
          created_at bigint NOT NULL,
          updated_at bigint NOT NULL
        )`,
        // Sweeps read active deadlines only: a finished verification is not in this index.
        `CREATE INDEX verifications_due ON ${s}.verifications (due_at) WHERE status = 'active'`,
        `CREATE TABLE ${s}.answers (
          verification_id text NOT NULL,
          key text NOT NULL,
          value text NOT NULL,
          PRIMARY KEY (verification_id, key)
        )`,
        `CREATE TABLE ${s}.bindings (
          kind text NOT NULL,
          key text NOT NULL,
          verification_id text NOT NULL,
          PRIMARY KEY (kind, key)
        )`,
        `CREATE INDEX bindings_verification ON ${s}.bindings (verification_id)`,
        `CREATE TABLE ${s}.audit_log (
          seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          verification_id text NOT NULL,
          at bigint NOT NULL,
          kind text NOT NULL,
          what text NOT NULL,
          attempt integer,
          number text,
          result text,
          sit_kind text,
          sip_code integer,
          q850_cause integer,
          reason text,
          legacy_code text,
          instance text NOT NULL,
          replayed boolean NOT NULL
        )`,
        `CREATE INDEX audit_log_verification ON ${s}.audit_log (verification_id, seq)`,
        `CREATE TABLE ${s}.outbox (
          id text PRIMARY KEY,
          seq bigint GENERATED ALWAYS AS IDENTITY,
          verification_id text NOT NULL,
          delivery text NOT NULL CHECK (delivery IN ('at-most-once', 'at-least-once')),
          payload text NOT NULL,
          created_at bigint NOT NULL,
          started_at bigint,
          lease_until bigint,
          tries integer NOT NULL DEFAULT 0
        )`,
        `CREATE INDEX outbox_created ON ${s}.outbox (created_at, seq)`,
      ],
    },
    {
      version: 2,
      description: 'indexes for retention: finished verifications by updated_at, audit log by at',
      // Only adds indexes, so instances of the release before go on working beside it. IF NOT EXISTS lets an
      // operator build them beforehand with CREATE INDEX CONCURRENTLY, without blocking writes (docs/operations.md).
      statements: [
        `CREATE INDEX IF NOT EXISTS verifications_finished ON ${s}.verifications (updated_at) WHERE status = 'finished'`,
        `CREATE INDEX IF NOT EXISTS audit_log_at ON ${s}.audit_log (at)`,
      ],
    },
    {
      version: 3,
      description: 'audit log rows with the transaction that wrote them, for pages that skip no row',
      // Steps commit concurrently, so a row can commit after a later-numbered one: pages go by the writing transaction
      // and read only what every transaction still running comes after. Rows from before are '0', all long committed.
      // A constant default, then the function's for new rows: neither rewrites the table. Old instances name their
      // columns when they write, so their rows get the default too.
      // The epoch, in every place a page gives, changes when rows come from another server (see migratePostgres).
      statements: [
        `ALTER TABLE ${s}.audit_log ADD COLUMN IF NOT EXISTS tx xid8 NOT NULL DEFAULT '0'`,
        `ALTER TABLE ${s}.audit_log ALTER COLUMN tx SET DEFAULT pg_current_xact_id()`,
        `CREATE INDEX IF NOT EXISTS audit_log_tx ON ${s}.audit_log (tx, seq)`,
        `CREATE INDEX IF NOT EXISTS audit_log_verification_tx ON ${s}.audit_log (verification_id, tx, seq)`,
        `CREATE TABLE ${s}.audit_epoch (epoch integer NOT NULL CHECK (epoch >= 1))`,
        `INSERT INTO ${s}.audit_epoch (epoch) VALUES (1)`,
      ],
    },
  ];
}

/** The schema version in `schema`: 0 before the first migration. */
export async function readPostgresSchemaVersion(
  db: pg.Pool | pg.PoolClient,
  server: string,
  schema: string,
): Promise<number> {
  const table = `"${schema}".schema_migrations`;
  const found = await query<{ exists: boolean }>(db, server, 'SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
  if (found.rows[0]?.exists !== true) return 0;
  const current = await query<{ version: number | null }>(db, server, `SELECT max(version) AS version FROM ${table}`);
  return current.rows[0]?.version ?? 0;
}

/**
 * Creates or migrates the schema in one transaction, under an advisory lock
 * keyed by the schema's name: instances that start together take turns, and
 * the later ones find the work done.
 */
export async function migratePostgres(client: pg.PoolClient, server: string, schema: string): Promise<void> {
  const migrations = postgresMigrations(schema);
  await query(client, server, 'BEGIN');
  try {
    await query(client, server, `SELECT pg_advisory_xact_lock(hashtext('voice-mfa schema ' || $1::text))`, [schema]);
    await query(client, server, `CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await query(
      client,
      server,
      `CREATE TABLE IF NOT EXISTS "${schema}".schema_migrations (
        version integer PRIMARY KEY,
        description text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const current = await readPostgresSchemaVersion(client, server, schema);
    for (const migration of pendingMigrations(current, migrations, `${server} (schema ${schema})`)) {
      for (const statement of migration.statements) await query(client, server, statement);
      await query(client, server, `INSERT INTO "${schema}".schema_migrations (version, description) VALUES ($1, $2)`, [
        migration.version,
        migration.description,
      ]);
    }
    // Audit rows brought from another server (dump and restore) carry its transaction ids, which this one may not
    // have reached: pages would hold them back until it does. As rows from before migration 3, they go first, by
    // number; that moves them before places already given, so a new epoch makes every reader start again.
    await query(
      client,
      server,
      `WITH moved AS (
         UPDATE "${schema}".audit_log SET tx = '0' WHERE tx >= pg_snapshot_xmax(pg_current_snapshot()) RETURNING 1
       )
       UPDATE "${schema}".audit_epoch SET epoch = epoch + 1 WHERE EXISTS (SELECT 1 FROM moved)`,
    );
    await query(client, server, 'COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
