/**
 * PostgreSQL wakes other instances through LISTEN/NOTIFY: a commit that
 * brings a deadline forward or adds effects wakes them, one that does not
 * stays quiet, the listening connection comes back after the server dropped
 * it, and a store on the host's pool leaves that pool to the host. Time, too,
 * is the database's.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { PostgresVerificationStore } from '../../src/store/postgres/postgresStore.js';
import type { StoredVerification } from '../../src/store/types.js';
import { describeWithPostgres } from '../support/postgresSuite.js';
import { firstWrite, newId, nextVersion, storedVerification } from '../support/storeRecords.js';

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts wakes. */
function counter(store: PostgresVerificationStore): { count: () => number; stop: () => void } {
  let count = 0;
  const stop = store.onWake(() => count++);
  return { count: () => count, stop };
}

async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await pause(10);
  }
}

describeWithPostgres('postgres: waking other instances', (url, newSchema) => {
  const schema = newSchema();
  let admin: pg.Client;
  let writer: PostgresVerificationStore;
  let sleeper: PostgresVerificationStore;

  const wakeConnections = `voice-mfa wake ${schema}`;

  /** The server process of the sleeper's listening connection, once it listens. */
  const listenerPid = async (): Promise<number | null> => {
    const { rows } = await admin.query(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
      [wakeConnections],
    );
    return rows[0]?.pid ?? null;
  };

  /** How many of this test schema's listening connections the server has. */
  const wakeConnectionCount = async (): Promise<number> => {
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`, [
      wakeConnections,
    ]);
    return rows[0].n;
  };

  // A listener's stop does not wait for its connection to close, and every
  // store here listens under the same name: a test that looked for "the"
  // listener while the previous test's was still closing would find that one.
  afterEach(async () => {
    await eventually(async () => {
      return (await wakeConnectionCount()) === 0;
    }, 'the test’s listening connections to close');
  });

  beforeAll(async () => {
    admin = new pg.Client(url);
    await admin.connect();
    writer = new PostgresVerificationStore({ connectionString: url, schema });
    await writer.migrate();
    sleeper = new PostgresVerificationStore({ connectionString: url, schema });
  });
  afterAll(async () => {
    await writer.close();
    await sleeper.close();
    await admin.end();
  });

  it('another instance’s commit with an earlier deadline or new effects wakes; a later deadline does not', async () => {
    const wakes = counter(sleeper);
    try {
      await eventually(async () => (await listenerPid()) !== null, 'the listener');
      const id = newId();
      await writer.create(firstWrite(storedVerification(id, { dueAt: 50_000 })));
      await eventually(() => wakes.count() === 1, 'a wake for a new deadline');

      const later = (verification: StoredVerification) => nextVersion(verification, { dueAt: 90_000 });
      await writer.withVerification(id, null, async ({ verification }) => ({
        write: { verification: later(verification as StoredVerification), audit: [], outbox: [] },
        value: null,
      }));
      await pause(200);
      expect(wakes.count()).toBe(1);

      await writer.withVerification(id, null, async ({ verification }) => ({
        write: {
          verification: nextVersion(verification as StoredVerification),
          audit: [],
          outbox: [{ id: `${id}/4/0`, verificationId: id, delivery: 'at-least-once', payload: {}, createdAt: 0 }],
        },
        value: null,
      }));
      await eventually(() => wakes.count() === 2, 'a wake for a new effect');
      await writer.withVerification(id, null, async ({ verification }) => ({
        write: {
          verification: nextVersion(verification as StoredVerification, { dueAt: 10_000 }),
          audit: [],
          outbox: [],
        },
        value: null,
      }));
      await eventually(() => wakes.count() === 3, 'a wake for an earlier deadline');
    } finally {
      wakes.stop();
    }
  });

  it('a store’s own commit wakes its own listeners once, not again when the server echoes it', async () => {
    const own = counter(writer);
    try {
      await eventually(async () => {
        return (await wakeConnectionCount()) >= 1;
      }, 'the listener');
      await pause(100);
      await writer.create(firstWrite(storedVerification(newId())));
      expect(own.count()).toBe(1);
      await pause(200);
      expect(own.count()).toBe(1);
    } finally {
      own.stop();
    }
  });

  it('the listening connection comes back after the server drops it, and wakes once for what it may have missed', async () => {
    const wakes = counter(sleeper);
    try {
      await eventually(async () => (await listenerPid()) !== null, 'the listener');
      const first = (await listenerPid()) as number;
      await admin.query('SELECT pg_terminate_backend($1)', [first]);
      await eventually(async () => {
        const pid = await listenerPid();
        return pid !== null && pid !== first;
      }, 'a new listening connection');
      await eventually(() => wakes.count() === 1, 'the wake after reconnecting');
      await writer.create(firstWrite(storedVerification(newId())));
      await eventually(() => wakes.count() === 2, 'a wake on the new connection');
    } finally {
      wakes.stop();
    }
  });

  it('the last listener to leave closes the listening connection', async () => {
    const wakes = counter(sleeper);
    await eventually(async () => (await listenerPid()) !== null, 'the listener');
    wakes.stop();
    await eventually(async () => (await listenerPid()) === null, 'the listener to close');
  });

  it('a store on the host’s pool borrows it, listens with its settings, and leaves it open', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 3 });
    const borrowed = new PostgresVerificationStore({ pool, schema });
    try {
      const wakes = counter(borrowed);
      await eventually(async () => (await listenerPid()) !== null, 'the listener on the pool’s settings');
      await writer.create(firstWrite(storedVerification(newId())));
      await eventually(() => wakes.count() === 1, 'a wake');
      wakes.stop();
      const id = newId();
      await borrowed.create(firstWrite(storedVerification(id)));
      await borrowed.close();
      const { rows } = await pool.query(`SELECT version FROM "${schema}".verifications WHERE id = $1`, [id]);
      expect(rows).toEqual([{ version: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('time comes from the database, never from the instance: an instance whose clock is years off still sees the database’s', async () => {
    const { rows } = await admin.query(`SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now`);
    const database = rows[0].now as number;
    const id = newId();
    await writer.create(firstWrite(storedVerification(id)));
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2001-01-01T00:00:00Z'));
      const stepNow = await writer.withVerification(id, null, async ({ now }) => ({ write: null, value: now }));
      const storeNow = await writer.now();
      for (const now of [storeNow, stepNow]) expect(Math.abs(now - database)).toBeLessThan(60_000);
      expect(Date.now()).toBeLessThan(database - 10 * 365 * 24 * 3600 * 1000);
    } finally {
      vi.useRealTimers();
    }
  });
});
