import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/errors.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/schema.js';
import { SqliteVerificationStore } from '../../src/store/sqlite/sqliteStore.js';
import type { VerificationStore } from '../../src/store/types.js';
import { auditRow, firstWrite, storedVerification } from '../support/storeRecords.js';
import { describeStoreContract } from './contract.js';
import { describeStoreAcrossProcesses } from './processes.js';

const directory = mkdtempSync(join(tmpdir(), 'voice-mfa-sqlite-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;

describeStoreContract('sqlite', {
  async open() {
    const store = new SqliteVerificationStore({ path: join(directory, `store-${++files}.db`) });
    await store.migrate();
    return store;
  },
  async openAnother(store: VerificationStore) {
    return new SqliteVerificationStore({ path: (store as SqliteVerificationStore).path });
  },
  async outboxIds(store, verificationId) {
    const db = new Database((store as SqliteVerificationStore).path, { readonly: true });
    try {
      return db.prepare('SELECT id FROM outbox WHERE verification_id = ?').pluck().all(verificationId) as string[];
    } finally {
      db.close();
    }
  },
  async addColumns(store: VerificationStore) {
    const db = new Database((store as SqliteVerificationStore).path);
    try {
      for (const table of ['verifications', 'answers', 'bindings', 'audit_log', 'outbox']) {
        db.exec(`ALTER TABLE ${table} ADD COLUMN added_later TEXT`);
      }
    } finally {
      db.close();
    }
  },
});

describeStoreAcrossProcesses('sqlite', {
  place: () => ({ kind: 'sqlite', path: join(directory, `shared-${++files}.db`) }),
  async open(place) {
    if (place.kind !== 'sqlite') throw new Error('not a SQLite place');
    const store = new SqliteVerificationStore({ path: place.path });
    await store.migrate();
    return store;
  },
  async schemaVersions(place) {
    if (place.kind !== 'sqlite') throw new Error('not a SQLite place');
    const db = new Database(place.path, { readonly: true });
    try {
      return db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all() as number[];
    } finally {
      db.close();
    }
  },
});

describe('sqlite: schema versions 2 (retention indexes) and 3 (an audit log numbered once)', () => {
  /** A database as the release with schema version 1 left it, holding one finished verification. */
  function versionOneDatabase(path: string, id: string): void {
    const db = new Database(path);
    try {
      db.exec(`CREATE TABLE schema_migrations (
        version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
      for (const statement of SQLITE_MIGRATIONS[0]?.statements ?? []) db.exec(statement);
      db.prepare(
        `INSERT INTO schema_migrations VALUES (1, 'verifications, answers, bindings, audit log, outbox', 0)`,
      ).run();
      db.prepare(
        `INSERT INTO verifications (id, version, status, input, snapshot, provider, due_at, result, user_id, created_at,
           updated_at) VALUES (?, 3, 'finished', '{}', '{}', '{}', NULL, '{"status":"verified"}', NULL, 0, 1000)`,
      ).run(id);
      db.prepare(`INSERT INTO bindings (kind, key, verification_id) VALUES ('call', 'CA1', ?)`).run(id);
      db.prepare(
        `INSERT INTO audit_log (verification_id, at, kind, what, instance, replayed) VALUES (?, 1000, 'final', 'verified', 'old', 0)`,
      ).run(id);
    } finally {
      db.close();
    }
  }

  it('a version-1 database is refused until migrated, then migrates to 3 keeping its data, pages its audit log, and purges', async () => {
    const path = join(directory, `v1-${++files}.db`);
    const id = 'v-from-version-1';
    versionOneDatabase(path, id);
    const store = new SqliteVerificationStore({ path });
    try {
      await expect(store.read(id)).rejects.toThrow(
        /schema version 1, this release of voice-mfa needs 3: call store.migrate\(\) first/,
      );
      await store.migrate();
      const db = new Database(path, { readonly: true });
      try {
        expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual([1, 2, 3]);
        // The audit log kept its row and its number, and numbers rows by AUTOINCREMENT from there.
        expect(db.prepare('SELECT seq, what FROM audit_log').all()).toEqual([{ seq: 1, what: 'verified' }]);
        expect(db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'`).pluck().get()).toBe(1);
        const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).pluck().all();
        expect(indexes).toEqual(expect.arrayContaining(['verifications_finished', 'audit_log_at']));
        // The purges' queries read through the new indexes, not the whole table.
        const plan = (sql: string) =>
          (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1, 10) as { detail: string }[])
            .map((row) => row.detail)
            .join('\n');
        expect(
          plan(`SELECT id FROM verifications WHERE status = 'finished' AND updated_at < ? ORDER BY updated_at LIMIT ?`),
        ).toMatch(/USING (COVERING )?INDEX verifications_finished/);
        expect(plan('SELECT seq FROM audit_log WHERE at < ? ORDER BY at LIMIT ?')).toMatch(
          /USING (COVERING )?INDEX audit_log_at/,
        );
      } finally {
        db.close();
      }
      expect((await store.read(id))?.status).toBe('finished');
      const page = await store.readAuditPage({ limit: 10 });
      expect(page.entries.map((entry) => entry.what)).toEqual(['verified']);
      expect(page.next).toBe('1');
      expect(await store.readAuditPage({ after: page.next, limit: 10 })).toEqual({ entries: [], next: page.next });
      expect(await store.purgeFinished(2_000, 10)).toBe(1);
      expect(await store.read(id)).toBeNull();
      expect(await store.findBinding({ kind: 'call', key: 'CA1' })).toBeNull();
      expect(await store.purgeAudit(2_000, 10)).toBe(1);
    } finally {
      await store.close();
    }
  });
});

it('sqlite: a place taken before the log was restored from an older backup is refused while it lies past the log', async () => {
  const store = new SqliteVerificationStore({ path: join(directory, `restored-${++files}.db`) });
  await store.migrate();
  try {
    const id = 'v-audit-restored';
    await store.create(firstWrite(storedVerification(id), { audit: [auditRow(id, 'before the backup')] }));
    const backup = await store.backup(join(directory, `restored-${files}-backup.db`));
    await store.withVerification(id, null, async ({ verification }) => ({
      write: {
        verification: { ...(verification as NonNullable<typeof verification>), version: 2 },
        audit: ['after', 'the', 'backup'].map((what) => auditRow(id, what)),
        outbox: [],
      },
      value: null,
    }));
    const { next } = await store.readAuditPage({ limit: 10 });
    expect(next).toBe('4');
    const restored = new SqliteVerificationStore({ path: backup.path });
    try {
      const refused = await restored.readAuditPage({ after: next, limit: 10 }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(InvalidRequestError);
      expect((refused as InvalidRequestError).message).toMatch(/past the last row this log has written/);
      expect((await restored.readAuditPage({ after: '1', limit: 10 })).entries).toEqual([]);
    } finally {
      await restored.close();
    }
  } finally {
    await store.close();
  }
});
