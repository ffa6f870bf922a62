/**
 * Backing up a SQLite store while it runs, and restoring the last good copy
 * (seed Question 2: back up the data file at any time while the service runs,
 * and replace a corrupt file with the last known good backup).
 */
import { copyFileSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptBackupError, StoreUnavailableError } from '../../src/store/errors.js';
import { latestSchemaVersion } from '../../src/store/migrations.js';
import type { SqliteBackup } from '../../src/store/sqlite/backup.js';
import { restoreSqliteBackup } from '../../src/store/sqlite/restore.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/schema.js';
import { SqliteVerificationStore } from '../../src/store/sqlite/sqliteStore.js';
import type { StoredVerification } from '../../src/store/types.js';
import { StoreProcess } from '../support/storeProcesses.js';
import { firstWrite, newId, stepVersion, storedVerification } from '../support/storeRecords.js';

const directory = mkdtempSync(join(tmpdir(), 'voice-mfa-backup-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const PREFILLED = 20_000;

/** Many verifications of about 2 KB each, written directly: enough data that a backup takes a while. */
function prefill(path: string): void {
  const db = new Database(path);
  db.exec(`
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${PREFILLED})
    INSERT INTO verifications
      SELECT 'filler-' || i, 1, 'finished', '{"targets":["+14255550100"]}',
        '{"padding":"' || hex(randomblob(1000)) || '"}', '{"calls":[]}', NULL, NULL, '{"status":"approved"}',
        'user-' || i, 0, 0
      FROM n;
    INSERT INTO audit_log (verification_id, at, kind, what, instance, replayed)
      SELECT id, 0, 'final', 'approved', 'prefill', 0 FROM verifications WHERE id LIKE 'filler-%';
  `);
  db.close();
}

function integrity(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check);
  } finally {
    db.close();
  }
}

/** A store on a copy of `path`, so that opening it (which sets WAL mode) leaves the file itself as it was. */
async function openCopy(path: string): Promise<SqliteVerificationStore> {
  const copy = join(directory, `copy-${newId()}.db`);
  copyFileSync(path, copy);
  return new SqliteVerificationStore({ path: copy });
}

/** What a streaming step leaves: version n has counter n-1, n audit rows and n-1 pending effects. */
async function expectWholeSteps(store: SqliteVerificationStore, id: string): Promise<number> {
  const stored = (await store.read(id)) as StoredVerification;
  expect(stored.provider).toEqual({ counter: stored.version - 1 });
  expect(stored.snapshot).toMatchObject({ version: stored.version });
  expect(await store.readAudit({ verificationId: id })).toHaveLength(stored.version);
  const effects = (await store.findOutbox(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 1_000_000)).filter(
    (entry) => entry.verificationId === id,
  );
  expect(effects).toHaveLength(stored.version - 1);
  return stored.version;
}

describe('sqlite: backup while running, and restore', () => {
  const live = join(directory, 'live.db');
  const backupPath = join(directory, 'backup.db');
  const id = newId();
  let backedUpVersion = 0;

  it('backs up while another process writes at 300 steps/s or more (an eighth of its rate alone, on a busy machine); the copy is whole and consistent', async () => {
    const store = new SqliteVerificationStore({ path: live });
    await store.migrate();
    prefill(live);
    await store.create(firstWrite(storedVerification(id, { provider: { counter: 0 } })));
    const writer = await StoreProcess.start({
      task: 'stream',
      store: { kind: 'sqlite', path: live },
      id,
      snapshotBytes: 2_000,
    });
    try {
      const window = 1_500;
      writer.send({ type: 'go' });
      // The writer runs alone for as long as the backups will, to compare.
      await new Promise((resolve) => setTimeout(resolve, window + 500));

      // Backups one after the other for a second and a half: the rate is the writer's over all of them.
      const from = Date.now();
      let backups = 0;
      let lastFrom = from;
      let backup: SqliteBackup;
      do {
        lastFrom = Date.now();
        backup = await store.backup(backupPath);
        backups++;
      } while (Date.now() - from < window);
      const to = Date.now();
      const { steps: during, total } = await writer.report(from, to);
      const { steps: before } = await writer.report(0, lastFrom - 1);
      const { steps: beforeAny } = await writer.report(from - (to - from), from - 1);
      const rate = (during / (to - from)) * 1000;
      const rateBefore = (beforeAny / (to - from)) * 1000;
      console.log(
        `sqlite: ${backups} backups of ${(backup.bytes / 1e6).toFixed(1)} MB (the last took ${Math.round(backup.durationMs)} ms) ` +
          `in ${to - from} ms while another process committed ${during} steps: ${Math.round(rate)} steps/s ` +
          `(${Math.round(rateBefore)} steps/s in as long before)`,
      );
      // A writer held up by the backups would commit only between them. The floor follows the writer's own rate
      // alone when the machine is too busy for 300 (measured during/alone: 0.25–0.8).
      expect(rate).toBeGreaterThanOrEqual(Math.min(300, rateBefore / 8));

      expect(integrity(backupPath)).toEqual(['ok']);
      const copy = await openCopy(backupPath);
      try {
        await copy.migrate();
        backedUpVersion = await expectWholeSteps(copy, id);
        // A snapshot of one moment during the last backup: after the steps before it, none after the last during it.
        expect(backedUpVersion - 1).toBeGreaterThanOrEqual(before);
        expect(backedUpVersion - 1).toBeLessThanOrEqual(total);
        expect((await copy.read('filler-1'))?.result).toEqual({ status: 'approved' });
        expect((await copy.readAudit()).filter((row) => row.instance === 'prefill')).toHaveLength(PREFILLED);
      } finally {
        await copy.close();
      }
    } finally {
      writer.send({ type: 'stop' });
      await writer.exited;
      await store.close();
    }
    const after = new SqliteVerificationStore({ path: live });
    expect(await expectWholeSteps(after, id)).toBeGreaterThan(backedUpVersion);
    await after.close();
  }, 120_000);

  it('a backup replaces the previous one at its path only once it is complete', async () => {
    const store = new SqliteVerificationStore({ path: live });
    try {
      const first = statSync(backupPath).mtimeMs;
      const again = await store.backup(backupPath);
      expect(again.path).toBe(backupPath);
      backedUpVersion = (await store.read(id))?.version ?? 0;
      expect(statSync(backupPath).mtimeMs).toBeGreaterThanOrEqual(first);
      expect(integrity(backupPath)).toEqual(['ok']);
      await expect(store.backup(join(directory, 'no-such-folder', 'backup.db'))).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    } finally {
      await store.close();
    }
  });

  it('restore refuses a damaged backup, a file that is no database, and one that holds no store; nothing changes', async () => {
    const before = new SqliteVerificationStore({ path: live });
    const versionBefore = (await before.read(id))?.version;
    await before.close();

    const damaged = join(directory, 'damaged.db');
    copyFileSync(backupPath, damaged);
    const pageSize = 4096;
    const pages = statSync(damaged).size / pageSize;
    const handle = openSync(damaged, 'r+');
    writeSync(handle, Buffer.alloc(pageSize * 3, 0xa5), 0, pageSize * 3, Math.floor(pages / 2) * pageSize);
    const notADatabase = join(directory, 'not-a-database.db');
    writeFileSync(notADatabase, 'these are not the pages you are looking for\n'.repeat(200));
    const notAStore = join(directory, 'not-a-store.db');
    new Database(notAStore).exec('CREATE TABLE t (x)');

    for (const [path, reason] of [
      [damaged, /integrity check|malformed/],
      [notADatabase, /not a database/],
      [notAStore, /holds no voice-mfa store/],
      [join(directory, 'missing.db'), /no such file/],
    ] as const) {
      const refusal = restoreSqliteBackup(path, live);
      await expect(refusal).rejects.toBeInstanceOf(CorruptBackupError);
      await expect(refusal).rejects.toThrow(reason);
    }
    const store = new SqliteVerificationStore({ path: live });
    expect((await store.read(id))?.version).toBe(versionBefore);
    await store.close();
  });

  it('restore refuses while a process has the database open', async () => {
    const store = new SqliteVerificationStore({ path: live });
    await store.read(id);
    try {
      await expect(restoreSqliteBackup(backupPath, live)).rejects.toThrow(/in use: stop every process using it/);
    } finally {
      await store.close();
    }
  });

  it('restore puts the last good backup in place and keeps the database it replaced', async () => {
    const later = new SqliteVerificationStore({ path: live });
    for (let i = 0; i < 3; i++) await stepVersion(later, id);
    await later.close();

    const restored = await restoreSqliteBackup(backupPath, live);
    expect(restored.schemaVersion).toBe(latestSchemaVersion(SQLITE_MIGRATIONS));
    expect(restored.setAside).not.toBeNull();
    expect(existsSync(restored.setAside as string)).toBe(true);

    const store = new SqliteVerificationStore({ path: live });
    await store.migrate();
    expect(await expectWholeSteps(store, id)).toBe(backedUpVersion);
    // The restored store goes on working.
    await stepVersion(store, id);
    await store.close();

    const replaced = await openCopy(restored.setAside as string);
    expect((await replaced.read(id))?.version).toBe(backedUpVersion + 3);
    await replaced.close();
  });

  it('restore moves aside a -wal and -shm left without their database file, which SQLite would replay onto the copy', async () => {
    const path = join(directory, 'stale-wal.db');
    const store = new SqliteVerificationStore({ path });
    await store.migrate();
    const ids = Array.from({ length: 200 }, () => newId());
    for (const walId of ids)
      await store.create(firstWrite(storedVerification(walId, { input: { pad: 'y'.repeat(2000) } })));
    const backup = await store.backup(join(directory, 'stale-wal-backup.db'));
    for (const walId of ids.slice(0, 30)) await stepVersion(store, walId);
    // The process dies with commits in its -wal file (closing would fold them in), and only the database file is deleted.
    const staleWal = join(directory, 'stale-wal-kept');
    copyFileSync(`${path}-wal`, staleWal);
    await store.close();
    copyFileSync(staleWal, `${path}-wal`);
    rmSync(path);

    const restored = await restoreSqliteBackup(backup.path, path);
    expect(restored.setAside).not.toBeNull();
    expect(existsSync(`${restored.setAside}-wal`)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(integrity(path)).toEqual(['ok']);
    const again = new SqliteVerificationStore({ path });
    await again.migrate();
    expect((await again.read(ids[0] as string))?.version).toBe(1);
    expect((await again.read(ids.at(-1) as string))?.version).toBe(1);
    await again.close();
  });

  it('a backup is not a copy of the file: it holds the commits still in the -wal file, which a file copy misses', async () => {
    const path = join(directory, 'wal.db');
    const store = new SqliteVerificationStore({ path });
    await store.migrate();
    const walId = newId();
    await store.create(firstWrite(storedVerification(walId)));
    for (let i = 0; i < 5; i++) await stepVersion(store, walId);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    const fileCopy = join(directory, 'file-copy.db');
    copyFileSync(path, fileCopy);
    const backup = await store.backup(join(directory, 'wal-backup.db'));
    await store.close();

    const fromBackup = await openCopy(backup.path);
    expect((await fromBackup.read(walId))?.version).toBe(6);
    await fromBackup.close();
    const fromFileCopy = await openCopy(fileCopy);
    await expect(fromFileCopy.read(walId)).rejects.toThrow(/call store.migrate\(\) first/);
    await fromFileCopy.close();
  });
});
