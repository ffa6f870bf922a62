/**
 * The SQLite store's schema, as migrations. JSON values are text columns
 * (SQLite has no other JSON type); times are integer milliseconds.
 *
 * @module
 */
import type Database from 'better-sqlite3';
import { type Migration, pendingMigrations } from '../migrations.js';

/** The audit log's columns after `seq`, as every version of its table has them. */
const AUDIT_LOG_COLUMNS = `
  verification_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  what TEXT NOT NULL,
  attempt INTEGER,
  number TEXT,
  result TEXT,
  sit_kind TEXT,
  sip_code INTEGER,
  q850_cause INTEGER,
  reason TEXT,
  legacy_code TEXT,
  instance TEXT NOT NULL,
  replayed INTEGER NOT NULL CHECK (replayed IN (0, 1))`;

const AUDIT_LOG_COLUMN_NAMES =
  'seq, verification_id, at, kind, what, attempt, number, result, sit_kind, sip_code, q850_cause, reason, legacy_code, instance, replayed';

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'verifications, answers, bindings, audit log, outbox',
    statements: [
      `CREATE TABLE verifications (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL CHECK (version >= 1),
        status TEXT NOT NULL CHECK (status IN ('active', 'finished')),
        input TEXT NOT NULL,
        snapshot TEXT NOT NULL,
        provider TEXT NOT NULL,
        due_at INTEGER CHECK (status = 'active' OR due_at IS NULL),
        claimed_until INTEGER,
        result TEXT NOT NULL,
        user_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      // Sweeps read active deadlines only: a finished verification is not in this index.
      `CREATE INDEX verifications_due ON verifications (due_at) WHERE status = 'active'`,
      `CREATE TABLE answers (
        verification_id TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (verification_id, key)
      )`,
      `CREATE TABLE bindings (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        verification_id TEXT NOT NULL,
        PRIMARY KEY (kind, key)
      ) WITHOUT ROWID`,
      `CREATE INDEX bindings_verification ON bindings (verification_id)`,
      `CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, ${AUDIT_LOG_COLUMNS})`,
      `CREATE INDEX audit_log_verification ON audit_log (verification_id, seq)`,
      `CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        verification_id TEXT NOT NULL,
        delivery TEXT NOT NULL CHECK (delivery IN ('at-most-once', 'at-least-once')),
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        lease_until INTEGER,
        tries INTEGER NOT NULL DEFAULT 0
      )`,
      `CREATE INDEX outbox_created ON outbox (created_at)`,
    ],
  },
  {
    version: 2,
    description: 'indexes for retention: finished verifications by updated_at, audit log by at',
    // Only adds indexes, so instances of the release before go on working beside it.
    statements: [
      `CREATE INDEX IF NOT EXISTS verifications_finished ON verifications (updated_at) WHERE status = 'finished'`,
      `CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at)`,
    ],
  },
  {
    version: 3,
    description: 'audit log numbered by AUTOINCREMENT: a number is never given again, so pages go on from it',
    // SQLite gives a new row the largest rowid plus one, so purging the newest rows would give their numbers again,
    // and a reader paging from one would skip what is written next. A table takes AUTOINCREMENT only when created.
    statements: [
      `CREATE TABLE audit_log_numbered (seq INTEGER PRIMARY KEY AUTOINCREMENT, ${AUDIT_LOG_COLUMNS})`,
      `INSERT INTO audit_log_numbered (${AUDIT_LOG_COLUMN_NAMES}) SELECT ${AUDIT_LOG_COLUMN_NAMES} FROM audit_log`,
      'DROP TABLE audit_log',
      'ALTER TABLE audit_log_numbered RENAME TO audit_log',
      'CREATE INDEX audit_log_verification ON audit_log (verification_id, seq)',
      'CREATE INDEX audit_log_at ON audit_log (at)',
    ],
  },
];

const VERSION_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/** The schema version of an open database: 0 before the first migration. */
export function readSqliteSchemaVersion(db: Database.Database): number {
  const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get();
  if (exists === undefined) return 0;
  return (
    (db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number | null }).version ??
    0
  );
}

/** Applies what is missing; the caller holds the write lock (`BEGIN IMMEDIATE`), so two processes never both do. */
export function applySqliteMigrations(db: Database.Database, where: string, now: number): void {
  db.exec(VERSION_TABLE);
  const record = db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)');
  for (const migration of pendingMigrations(readSqliteSchemaVersion(db), SQLITE_MIGRATIONS, where)) {
    for (const statement of migration.statements) db.exec(statement);
    record.run(migration.version, migration.description, now);
  }
}
