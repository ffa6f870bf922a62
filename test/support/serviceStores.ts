/**
 * The durable service's tests on every store: a suite described once and run
 * against the memory store, a SQLite file and PostgreSQL (skipped, saying why,
 * when there is no server), each test with a fresh, migrated store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import type { VirtualClock } from '../../src/runtime/clock.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import { PostgresVerificationStore } from '../../src/store/postgres/postgresStore.js';
import { SqliteVerificationStore } from '../../src/store/sqlite/sqliteStore.js';
import type { VerificationStore } from '../../src/store/types.js';
import { describeWithPostgres } from './postgresSuite.js';

/**
 * Opens a fresh, migrated store. The memory store runs on `clock`; SQLite and
 * PostgreSQL keep their own (the host's, the database's), as in production.
 */
export type OpenStore = (clock: VirtualClock) => Promise<VerificationStore>;

/** Describes `body` three times: on the memory store, on SQLite and on PostgreSQL. */
export function describeOnEveryStore(name: string, body: (open: OpenStore) => void): void {
  describe(`${name} (memory)`, () => {
    body(async (clock) => new MemoryVerificationStore({ clock }));
  });
  describe(`${name} (SQLite)`, () => {
    const directory = mkdtempSync(join(tmpdir(), 'voice-mfa-service-'));
    afterAll(() => rmSync(directory, { recursive: true, force: true }));
    let files = 0;
    body(async () => {
      const store = new SqliteVerificationStore({ path: join(directory, `store-${++files}.db`) });
      await store.migrate();
      return store;
    });
  });
  describeWithPostgres(`${name} (PostgreSQL)`, (url, newSchema) => {
    body(async () => {
      const store = new PostgresVerificationStore({ connectionString: url, schema: newSchema() });
      await store.migrate();
      return store;
    });
  });
}
