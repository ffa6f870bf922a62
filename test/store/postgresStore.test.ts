import pg from 'pg';
import { PostgresVerificationStore } from '../../src/store/postgres/postgresStore.js';
import type { VerificationStore } from '../../src/store/types.js';
import { describeWithPostgres } from '../support/postgresSuite.js';
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
