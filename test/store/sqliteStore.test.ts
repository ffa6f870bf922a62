import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import { SqliteVerificationStore } from '../../src/store/sqlite/sqliteStore.js';
import type { VerificationStore } from '../../src/store/types.js';
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
