/**
 * What goes wrong with a SQLite store, and how it is told: a damaged row is a
 * `CorruptRecordError` of its verification alone; a file that cannot be used,
 * a schema that was not migrated (or is newer than the library) and a lock
 * held too long are a `StoreUnavailableError` naming the file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECK_SETTLE_GRACE_MS, DEFAULT_CHECK_TIMEOUT_MS } from '../../src/step/checkTimes.js';
import { CorruptRecordError, InvalidServiceConfigurationError, StoreUnavailableError } from '../../src/store/errors.js';
import { SqliteVerificationStore } from '../../src/store/sqlite/sqliteStore.js';
import { firstWrite, holdVerification, newId, stepVersion, storedVerification } from '../support/storeRecords.js';

const directory = mkdtempSync(join(tmpdir(), 'voice-mfa-sqlite-failures-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

async function openFresh(): Promise<SqliteVerificationStore> {
  const store = new SqliteVerificationStore({ path: join(directory, `${newId()}.db`) });
  await store.migrate();
  return store;
}

/** Changes the file behind the store's back, as a damaged disk or a careless hand would. */
function tamper(path: string, sql: string, ...values: unknown[]): void {
  const db = new Database(path);
  try {
    db.prepare(sql).run(...values);
  } finally {
    db.close();
  }
}

describe('sqlite: damaged rows', () => {
  it.each([
    [
      'a snapshot that is not JSON',
      `UPDATE verifications SET snapshot = '{"value": ' WHERE id = ?`,
      /snapshot is not valid JSON/,
    ],
    ['a version that is not a number', `UPDATE verifications SET version = 'seven' WHERE id = ?`, /version/],
    [
      'a creation time that is not a time',
      `UPDATE verifications SET created_at = 'yesterday' WHERE id = ?`,
      /created_at/,
    ],
  ])('%s: CorruptRecordError for that verification, the others work', async (_, sql, detail) => {
    const store = await openFresh();
    try {
      const [damaged, healthy] = [newId(), newId()];
      await store.create(firstWrite(storedVerification(damaged)));
      await store.create(firstWrite(storedVerification(healthy)));
      tamper(store.path, sql, damaged);

      const read = store.read(damaged);
      await expect(read).rejects.toBeInstanceOf(CorruptRecordError);
      await expect(read).rejects.toMatchObject({ verificationId: damaged, message: expect.stringMatching(detail) });
      let stepped = false;
      await expect(
        store.withVerification(damaged, null, async () => {
          stepped = true;
          return { write: null, value: null };
        }),
      ).rejects.toBeInstanceOf(CorruptRecordError);
      expect(stepped).toBe(false);

      expect(await stepVersion(store, healthy, 'stepped')).toBe('stepped');
      expect((await store.read(healthy))?.version).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('an outbox entry whose payload cannot be read is left out; the other entries are found', async () => {
    const store = await openFresh();
    try {
      const id = newId();
      const t0 = (await store.now()) - 10_000;
      await store.create(
        firstWrite(storedVerification(id), {
          outbox: [0, 1].map((n) => ({
            id: `${id}/1/${n}`,
            verificationId: id,
            delivery: 'at-least-once' as const,
            payload: { n },
            createdAt: t0,
          })),
        }),
      );
      tamper(store.path, `UPDATE outbox SET payload = 'not json' WHERE id = ?`, `${id}/1/0`);
      const found = await store.findOutbox(t0 + 1_000, t0 + 1_000, 10);
      expect(found.map((entry) => entry.payload)).toEqual([{ n: 1 }]);
    } finally {
      await store.close();
    }
  });
});

describe('sqlite: a store that cannot be used', () => {
  const unusable = async (path: string, message: RegExp) => {
    const store = new SqliteVerificationStore({ path });
    const migrating = store.migrate();
    await expect(migrating).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(migrating).rejects.toThrow(message);
    await expect(store.read('v-1')).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
  };

  it('a file in a folder that does not exist', () =>
    unusable(
      join(directory, 'missing', 'store.db'),
      /missing\/store\.db cannot be opened: .*directory does not exist/,
    ));

  it('a folder where the file should be', () => {
    const folder = join(directory, 'a-folder.db');
    mkdirSync(folder);
    return unusable(folder, /a-folder\.db cannot be opened: unable to open database file/);
  });

  it('a file that is not a database', () => {
    const path = join(directory, 'notes.txt');
    writeFileSync(path, 'shopping: milk, eggs, a new disk\n'.repeat(300));
    return unusable(path, /notes\.txt cannot be opened: file is not a database/);
  });

  it('an in-memory database, which two connections cannot share', () => {
    expect(() => new SqliteVerificationStore({ path: ':memory:' })).toThrow(StoreUnavailableError);
  });

  it.each([
    ['synchronous', { synchronous: 'FULL' }, `must be 'full' or 'normal', got "FULL"`],
    ['synchronous', { synchronous: 1 }, `must be 'full' or 'normal', got 1`],
    ['lockTimeoutMs', { lockTimeoutMs: Number.NaN }, 'must be a number of milliseconds from 1 to 2147483647'],
    ['lockTimeoutMs', { lockTimeoutMs: 0 }, 'must be a number of milliseconds from 1 to 2147483647'],
    ['lockTimeoutMs', { lockTimeoutMs: '5000' }, 'must be a number of milliseconds from 1 to 2147483647'],
    ['clock', { clock: { now: 5 } }, 'must be a clock: an object with a now() method'],
    ['path', { path: 42 }, 'must be the path of the database file'],
  ])('options that cannot work are refused at once, naming the option: %s %o', (path, given, message) => {
    const make = () => new SqliteVerificationStore({ path: join(directory, `${newId()}.db`), ...given } as never);
    expect(make).toThrow(InvalidServiceConfigurationError);
    expect(make).toThrow(/^Invalid SQLite store options: /);
    try {
      make();
    } catch (error) {
      expect((error as InvalidServiceConfigurationError).code).toBe('INVALID_CONFIGURATION');
      expect((error as InvalidServiceConfigurationError).issues).toEqual([{ path, message }]);
    }
  });

  it('a schema that was never migrated, or that a newer release wrote', async () => {
    const path = join(directory, `${newId()}.db`);
    const unmigrated = new SqliteVerificationStore({ path });
    await expect(unmigrated.read('v-1')).rejects.toThrow(
      /schema version 0, this release of voice-mfa needs 3: call store.migrate\(\) first/,
    );
    await unmigrated.migrate();
    await unmigrated.close();
    tamper(path, `INSERT INTO schema_migrations (version, description, applied_at) VALUES (99, 'from the future', 0)`);
    const older = new SqliteVerificationStore({ path });
    await expect(older.migrate()).rejects.toThrow(
      /schema version 99, newer than this release of voice-mfa knows \(3\): upgrade voice-mfa/,
    );
    await expect(older.read('v-1')).rejects.toBeInstanceOf(StoreUnavailableError);
    await older.close();
  });

  it('a step that waits longer than lockTimeoutMs for another one fails, without blocking the process meanwhile', async () => {
    const holder = await openFresh();
    const impatient = new SqliteVerificationStore({ path: holder.path, lockTimeoutMs: 200 });
    try {
      const id = newId();
      await holder.create(firstWrite(storedVerification(id)));
      // The other step starts once this one holds the lock.
      const holding = await holdVerification(holder, id);
      let ticks = 0;
      const ticking = setInterval(() => ticks++, 10);
      const started = performance.now();
      await expect(stepVersion(impatient, id, 'stepped')).rejects.toThrow(
        /stayed locked by another process for more than 200 ms/,
      );
      clearInterval(ticking);
      expect(performance.now() - started).toBeGreaterThanOrEqual(190);
      // The event loop ran while the step waited for the lock.
      expect(ticks).toBeGreaterThan(5);
      holding.release();
      await holding.done;
      expect(await stepVersion(impatient, id, 'stepped')).toBe('stepped');
    } finally {
      await impatient.close();
      await holder.close();
    }
  });

  it("by default, a step outwaits another process's step that holds the lock through a check that hangs until its time limit and grace", async () => {
    const holder = await openFresh();
    const waiting = new SqliteVerificationStore({ path: holder.path });
    try {
      const id = newId();
      await holder.create(firstWrite(storedVerification(id)));
      const holding = holder.withVerification(id, null, async () => {
        await new Promise((resolve) => setTimeout(resolve, DEFAULT_CHECK_TIMEOUT_MS + CHECK_SETTLE_GRACE_MS + 300));
        return { write: null, value: null };
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await stepVersion(waiting, id, 'stepped')).toBe('stepped');
      await holding;
    } finally {
      await waiting.close();
      await holder.close();
    }
  }, 20_000);
});
