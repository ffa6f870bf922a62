import pg from 'pg';
import { expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/errors.js';
import { PostgresVerificationStore } from '../../src/store/postgres/postgresStore.js';
import { postgresMigrations } from '../../src/store/postgres/schema.js';
import type { VerificationStore } from '../../src/store/types.js';
import { describeWithPostgres } from '../support/postgresSuite.js';
import { auditRow, firstWrite, storedVerification } from '../support/storeRecords.js';
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

  it('a version-1 schema is refused until migrated, then migrates to 3 keeping its data (an index built beforehand, concurrently, is kept), pages its audit log, and purges', async () => {
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
        /schema version 1, this release of voice-mfa needs 3: call store.migrate\(\) first/,
      );
      await store.migrate();
      const versions = await admin.query(`SELECT version FROM "${v1}".schema_migrations ORDER BY version`);
      expect(versions.rows.map((row) => row.version)).toEqual([1, 2, 3]);
      const indexes = await admin.query('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [v1]);
      expect(indexes.rows.map((row) => row.indexname)).toEqual(
        expect.arrayContaining(['verifications_finished', 'audit_log_at', 'audit_log_tx']),
      );
      // A row from before the migration is of transaction 0: long ended, so it is paged first.
      const old = await admin.query(`SELECT tx::text AS tx FROM "${v1}".audit_log`);
      expect(old.rows).toEqual([{ tx: '0' }]);
      expect((await store.read(id))?.status).toBe('finished');
      const page = await store.readAuditPage({ limit: 10 });
      expect(page).toEqual({ entries: [expect.objectContaining({ what: 'verified' })], next: '1.0.1' });
      expect(await store.purgeFinished(2_000, 10)).toBe(1);
      expect(await store.read(id)).toBeNull();
      expect(await store.purgeAudit(2_000, 10)).toBe(1);
    } finally {
      await store.close();
      await admin.end();
    }
  });

  it('audit pages skip no row of a step that commits after a later-numbered one: rows wait until every older write transaction has ended', async () => {
    const schema = newSchema();
    const store = new PostgresVerificationStore({ connectionString: url, schema });
    const slow = new pg.Client(url);
    await store.migrate();
    await slow.connect();
    const ids = ['v-slow-step', 'v-quick-step'];
    const ours = (entries: readonly { verificationId: string; what: string }[]) =>
      entries.filter((entry) => ids.includes(entry.verificationId)).map((entry) => entry.what);
    try {
      // A step that wrote its audit row, and has not committed yet: the row has taken the lower number.
      await slow.query('BEGIN');
      await slow.query(
        `INSERT INTO "${schema}".audit_log (verification_id, at, kind, what, instance, replayed)
         VALUES ($1, 1, 'input', 'slow', 'other', false)`,
        [ids[0]],
      );
      const quick = storedVerification(ids[1] as string);
      await store.create(firstWrite(quick, { audit: [auditRow(quick.id, 'quick')] }));
      // Paged now, the quick step's row would put the place past the slow one's number: it waits.
      const held = await store.readAuditPage({ limit: 10 });
      expect(ours(held.entries)).toEqual([]);
      expect(ours(await store.readAudit())).toEqual(['quick']);
      await slow.query('COMMIT');
      const numbers = await slow.query(`SELECT what, seq::integer AS seq FROM "${schema}".audit_log ORDER BY seq`);
      expect(numbers.rows.map((row) => row.what)).toEqual(['slow', 'quick']);
      const seen: string[] = [];
      let after = held.next;
      for (const giveUpAt = Date.now() + 25_000; seen.length < 2 && Date.now() < giveUpAt; ) {
        const page = await store.readAuditPage({ after, limit: 10 });
        seen.push(...ours(page.entries));
        after = page.next;
        if (page.entries.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(seen).toEqual(['slow', 'quick']);
    } finally {
      await slow.end();
      await store.close();
    }
  }, 60_000);

  it('audit rows brought from another server, with its transaction ids, are paged first once migrate() ran, in a new epoch: places taken before are refused', async () => {
    const schema = newSchema();
    const store = new PostgresVerificationStore({ connectionString: url, schema });
    const admin = new pg.Client(url);
    await store.migrate();
    await admin.connect();
    /** Pages from the start until `what` came (other test files' transactions may hold rows back a while). */
    const readUntil = async (what: string) => {
      const seen: string[] = [];
      let after: string | undefined;
      for (const giveUpAt = Date.now() + 25_000; !seen.includes(what) && Date.now() < giveUpAt; ) {
        const page = await store.readAuditPage({ after, limit: 10 });
        seen.push(...page.entries.map((entry) => entry.what));
        after = page.next;
        if (page.entries.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { seen, next: after as string };
    };
    try {
      const here = storedVerification('v-written-here');
      await store.create(firstWrite(here, { audit: [auditRow(here.id, 'here')] }));
      const beforeMove = await readUntil('here');
      expect(beforeMove.seen).toEqual(['here']);
      expect(beforeMove.next).toMatch(/^1\.[1-9]\d*\.1$/);
      // A row as a dump from a server a million transactions ahead of this one brings it.
      await admin.query(
        `INSERT INTO "${schema}".audit_log (verification_id, at, kind, what, instance, replayed, tx)
         VALUES ('v-moved', 1, 'input', 'moved', 'elsewhere', false,
                 (pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1000000)::text::xid8)`,
      );
      const ahead = (await admin.query(`SELECT tx::text AS tx FROM "${schema}".audit_log WHERE what = 'moved'`))
        .rows[0] as { tx: string };
      // Held back: its transaction is one this server has not reached.
      expect((await store.readAuditPage({ after: beforeMove.next, limit: 10 })).entries).toEqual([]);
      await store.migrate();
      // Put first, before the place already given, which a new epoch refuses although rows follow it.
      const refused = await store.readAuditPage({ after: beforeMove.next, limit: 10 }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(InvalidRequestError);
      expect((refused as InvalidRequestError).message).toMatch(/taken before the log was brought here/);
      const afterMove = await readUntil('here');
      expect(afterMove.seen).toEqual(['moved', 'here']);
      expect(afterMove.next).toMatch(/^2\./);
      // A place of a transaction this server has not reached is refused too.
      const notReached = await store
        .readAuditPage({ after: `2.${ahead.tx}.1`, limit: 10 })
        .catch((error: unknown) => error);
      expect((notReached as InvalidRequestError).message).toMatch(/names a transaction this server has not reached/);
      // Nothing more to move: the epoch stays, and so do the places.
      await store.migrate();
      expect((await store.readAuditPage({ after: afterMove.next, limit: 10 })).next).toBe(afterMove.next);
    } finally {
      await admin.end();
      await store.close();
    }
  }, 60_000);

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
