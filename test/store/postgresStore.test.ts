import pg from 'pg';
import { expect, it } from 'vitest';
import { PostgresVerificationStore } from '../../src/store/postgres/postgresStore.js';
import { postgresMigrations } from '../../src/store/postgres/schema.js';
import type { VerificationStore } from '../../src/store/types.js';
import { describeWithPostgres } from '../support/postgresSuite.js';
import { firstWrite, storedVerification } from '../support/storeRecords.js';
import { describeStoreContract } from './contract.js';
import { describeStoreAcrossProcesses } from './processes.js';

describeWithPostgres('postgres store', (url, newSchema) => {
  const schema = newSchema();
  describeStoreContract('postgres', {
    async open() {
      const store = new PostgresVerificationStore({ connectionString: url, schema });
      await store.migrate();
      return store;
    },
    async openAnother(store: VerificationStore) {
      return new PostgresVerificationStore({
        connectionString: url,
        schema: (store as PostgresVerificationStore).schema,
      });
    },
    async outboxIds(store, verificationId) {
      const client = new pg.Client(url);
      await client.connect();
      try {
        const { rows } = await client.query(
          `SELECT id FROM "${(store as PostgresVerificationStore).schema}".outbox WHERE verification_id = $1`,
          [verificationId],
        );
        return rows.map((row) => row.id as string);
      } finally {
        await client.end();
      }
    },
    async addColumns(store: VerificationStore) {
      const client = new pg.Client(url);
      await client.connect();
      try {
        for (const table of ['verifications', 'answers', 'bindings', 'audit_log', 'outbox']) {
          await client.query(
            `ALTER TABLE "${(store as PostgresVerificationStore).schema}".${table} ADD COLUMN IF NOT EXISTS added_later text`,
          );
        }
      } finally {
        await client.end();
      }
    },
  });

  it('two stores on one pool, in schemas whose names share their first 50 characters, each step in their own schema', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const base = newSchema();
    const prefix = `${base}_${'x'.repeat(50)}`.slice(0, 50);
    const schemas = ['a', 'b'].map((end) => `${prefix}_${end}`);
    const stores = schemas.map((schema) => new PostgresVerificationStore({ pool, schema }));
    try {
      for (const [index, store] of stores.entries()) {
        await store.migrate();
        const id = `v-${index}`;
        await store.create(firstWrite(storedVerification(id)));
        // A step prepares the lock statement on the pool's one connection, for this store's schema.
        const seen = await store.withVerification(id, null, async ({ verification }) => ({
          write: null,
          value: verification?.id ?? null,
        }));
        expect(seen).toBe(id);
      }
    } finally {
      for (const store of stores) await store.close();
      for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
  });

  it('a version-1 schema is refused until migrated, then migrates to 2 keeping its data (an index built beforehand, concurrently, is kept), and purges', async () => {
    const v1 = newSchema();
    const id = 'v-from-version-1';
    const admin = new pg.Client(url);
    await admin.connect();
    const store = new PostgresVerificationStore({ connectionString: url, schema: v1 });
    try {
      // The schema as the release with schema version 1 left it, holding one finished verification.
      await admin.query(`CREATE SCHEMA "${v1}"`);
      await admin.query(`CREATE TABLE "${v1}".schema_migrations (
        version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      for (const statement of postgresMigrations(v1)[0]?.statements ?? []) await admin.query(statement);
      await admin.query(`INSERT INTO "${v1}".schema_migrations (version, description) VALUES (1, 'version 1')`);
      await admin.query(
        `INSERT INTO "${v1}".verifications (id, version, status, input, snapshot, provider, due_at, result, user_id,
           created_at, updated_at) VALUES ($1, 3, 'finished', '{}', '{}', '{}', NULL, '{}', NULL, 0, 1000)`,
        [id],
      );
      await admin.query(
        `INSERT INTO "${v1}".audit_log (verification_id, at, kind, what, instance, replayed)
         VALUES ($1, 1000, 'final', 'verified', 'old', false)`,
        [id],
      );
      // What docs/operations.md suggests for a large table: build an index without blocking writes, then migrate.
      await admin.query(`CREATE INDEX CONCURRENTLY audit_log_at ON "${v1}".audit_log (at)`);

      await expect(store.read(id)).rejects.toThrow(
        /schema version 1, this release of voice-mfa needs 2: call store.migrate\(\) first/,
      );
      await store.migrate();
      const versions = await admin.query(`SELECT version FROM "${v1}".schema_migrations ORDER BY version`);
      expect(versions.rows.map((row) => row.version)).toEqual([1, 2]);
      const indexes = await admin.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [v1]);
      expect(indexes.rows.map((row) => row.indexname)).toEqual(
        expect.arrayContaining(['verifications_finished', 'audit_log_at']),
      );
      expect((await store.read(id))?.status).toBe('finished');
      expect(await store.purgeFinished(2_000, 10)).toBe(1);
      expect(await store.read(id)).toBeNull();
      expect(await store.purgeAudit(2_000, 10)).toBe(1);
    } finally {
      await store.close();
      await admin.end();
    }
  });

  describeStoreAcrossProcesses('postgres', {
    place: () => ({ kind: 'postgres', url, schema: newSchema() }),
    async open(place) {
      if (place.kind !== 'postgres') throw new Error('not a PostgreSQL place');
      const store = new PostgresVerificationStore({ connectionString: place.url, schema: place.schema });
      await store.migrate();
      return store;
    },
    async schemaVersions(place) {
      if (place.kind !== 'postgres') throw new Error('not a PostgreSQL place');
      const client = new pg.Client(place.url);
      await client.connect();
      try {
        const { rows } = await client.query(`SELECT version FROM "${place.schema}".schema_migrations ORDER BY version`);
        return rows.map((row) => row.version as number);
      } finally {
        await client.end();
      }
    },
  });
});
