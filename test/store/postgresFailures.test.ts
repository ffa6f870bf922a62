/**
 * What goes wrong with a PostgreSQL store, and how it is told: a damaged row
 * is a `CorruptRecordError` of its verification alone; a server that refuses,
 * never answers, or lacks the database, a schema that was not migrated and a
 * lock held too long are a `StoreUnavailableError`, quickly, naming the server
 * but never its password.
 */
import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CorruptRecordError, InvalidServiceConfigurationError, StoreUnavailableError } from '../../src/store/errors.js';
import { PostgresVerificationStore } from '../../src/store/postgres/postgresStore.js';
import { describeWithPostgres } from '../support/postgresSuite.js';
import { firstWrite, holdVerification, newId, stepVersion, storedVerification } from '../support/storeRecords.js';

/** A TCP server on 127.0.0.1 that takes connections and never says a word. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return {
    port: address.port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = await silentServer();
  await server.close();
  return server.port;
}

describeWithPostgres('postgres: failures', (url, newSchema) => {
  const schema = newSchema();
  let store: PostgresVerificationStore;
  let admin: pg.Client;
  beforeAll(async () => {
    store = new PostgresVerificationStore({ connectionString: url, schema });
    await store.migrate();
    admin = new pg.Client(url);
    await admin.connect();
  });
  afterAll(async () => {
    await store.close();
    await admin.end();
  });

  it.each([
    [
      'a snapshot that is not JSON',
      `UPDATE "${schema}".verifications SET snapshot = '{"value": ' WHERE id = $1`,
      /snapshot is not valid JSON/,
    ],
    [
      'a result that is empty',
      `UPDATE "${schema}".verifications SET result = '' WHERE id = $1`,
      /result is not valid JSON/,
    ],
  ])('%s: CorruptRecordError for that verification, the others work', async (_, sql, detail) => {
    const [damaged, healthy] = [newId(), newId()];
    await store.create(firstWrite(storedVerification(damaged)));
    await store.create(firstWrite(storedVerification(healthy)));
    await admin.query(sql, [damaged]);

    const read = store.read(damaged);
    await expect(read).rejects.toBeInstanceOf(CorruptRecordError);
    await expect(read).rejects.toMatchObject({ verificationId: damaged, message: expect.stringMatching(detail) });
    await expect(stepVersion(store, damaged, 'stepped')).rejects.toBeInstanceOf(CorruptRecordError);
    expect(await stepVersion(store, healthy, 'stepped')).toBe('stepped');
    expect((await store.read(healthy))?.version).toBe(2);
    // The refused step let go of the row: another step on it gets the same answer, not a wait.
    await expect(stepVersion(store, damaged, 'stepped')).rejects.toBeInstanceOf(CorruptRecordError);
  });

  it('a server that refuses connections: StoreUnavailableError at once, naming the server and not the password', async () => {
    const port = await closedPort();
    const down = new PostgresVerificationStore({ connectionString: `postgres://app:s3cret@127.0.0.1:${port}/app` });
    const started = performance.now();
    const migrating = down.migrate();
    await expect(migrating).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(migrating).rejects.toThrow(`PostgreSQL at 127.0.0.1:${port}/app cannot be used: connect ECONNREFUSED`);
    await expect(migrating).rejects.not.toThrow(/s3cret/);
    await expect(down.read('v-1')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(performance.now() - started).toBeLessThan(2_000);
    await down.close();
  });

  it('a server that never answers: StoreUnavailableError after connectionTimeoutMs, not a hang', async () => {
    const server = await silentServer();
    const silent = new PostgresVerificationStore({
      connectionString: `postgres://app@127.0.0.1:${server.port}/app`,
      connectionTimeoutMs: 300,
    });
    try {
      const started = performance.now();
      await expect(silent.migrate()).rejects.toThrow(/127\.0\.0\.1:\d+\/app cannot be used: .*timeout/i);
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(3_000);
    } finally {
      await silent.close();
      await server.close();
    }
  });

  it('a database that does not exist: StoreUnavailableError', async () => {
    const target = new URL(url);
    target.pathname = '/no_such_database';
    const missing = new PostgresVerificationStore({ connectionString: target.toString() });
    await expect(missing.migrate()).rejects.toThrow(
      /no_such_database cannot be used: database "no_such_database" does not exist/,
    );
    await missing.close();
  });

  it('a schema that was never migrated: StoreUnavailableError saying to migrate', async () => {
    const unmigrated = new PostgresVerificationStore({ connectionString: url, schema: newSchema() });
    await expect(unmigrated.read('v-1')).rejects.toThrow(
      /schema version 0, this release of voice-mfa needs 3: call store.migrate\(\) first/,
    );
    await unmigrated.close();
  });

  it('a step that waits longer than lockTimeoutMs for another one on the same verification fails', async () => {
    const impatient = new PostgresVerificationStore({ connectionString: url, schema, lockTimeoutMs: 200 });
    try {
      const [busy, other] = [newId(), newId()];
      await store.create(firstWrite(storedVerification(busy)));
      await store.create(firstWrite(storedVerification(other)));
      // The other step starts once this one holds the lock.
      const holding = await holdVerification(store, busy);
      const started = performance.now();
      await expect(stepVersion(impatient, busy, 'stepped')).rejects.toThrow(/lock was held by another step/);
      expect(performance.now() - started).toBeGreaterThanOrEqual(150);
      // Only that verification is busy.
      expect(await stepVersion(impatient, other, 'stepped')).toBe('stepped');
      holding.release();
      await holding.done;
      expect(await stepVersion(impatient, busy, 'stepped')).toBe('stepped');
    } finally {
      await impatient.close();
    }
  });

  it('options that cannot work are refused at once, every problem named', () => {
    const make = (options: Record<string, unknown>) => () => new PostgresVerificationStore(options as never);
    const issues = (options: Record<string, unknown>) => {
      try {
        make(options)();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidServiceConfigurationError);
        expect((error as Error).message).toMatch(/^Invalid PostgreSQL store options: /);
        return (error as InvalidServiceConfigurationError).issues.map((issue) => issue.path);
      }
      throw new Error('not refused');
    };
    expect(
      issues({
        connectionString: url,
        lockTimeoutMs: Number.NaN,
        connectionTimeoutMs: -1,
        maxConnections: 2.5,
        schema: 'Voice-MFA',
      }),
    ).toEqual(['schema', 'connectionTimeoutMs', 'maxConnections', 'lockTimeoutMs']);
    expect(issues({})).toEqual(['connectionString']);
    expect(issues({ connectionString: url, pool: new pg.Pool() })).toEqual(['connectionString']);
    expect(issues({ connectionString: 42 })).toEqual(['connectionString']);
    expect(issues({ pool: 'postgres://localhost' })).toEqual(['pool']);
    expect(issues({ connectionString: url, lockTimeoutMs: Number.POSITIVE_INFINITY })).toEqual(['lockTimeoutMs']);
  });

  it('a closed store says so', async () => {
    const closed = new PostgresVerificationStore({ connectionString: url, schema });
    await closed.close();
    await expect(closed.read('v-1')).rejects.toThrow(/is closed/);
  });
});
