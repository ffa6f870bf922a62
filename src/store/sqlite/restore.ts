/**
 * Putting the last good backup in place of a damaged SQLite store. The backup
 * is checked first (`PRAGMA integrity_check`, and that it holds a store); the
 * database it replaces is kept beside it, never deleted.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { copyFile, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { CorruptBackupError, StoreUnavailableError } from '../errors.js';
import { isBusy, messageOf } from './connection.js';
import { readSqliteSchemaVersion } from './schema.js';
import { syncDirectory, syncFile } from './syncToDisk.js';

/**
 * What {@link restoreSqliteBackup} did.
 *
 * @example
 * ```ts
 * const { setAside } = await restoreSqliteBackup('backups/verifications.db', 'data/verifications.db');
 * if (setAside !== null) console.log(`the damaged database was kept as ${setAside}`);
 * ```
 */
export interface RestoredSqliteBackup {
  /** The database file, now a copy of the backup. */
  databasePath: string;
  /** The backup it was copied from. */
  backupPath: string;
  /**
   * Where the database that was replaced now is, with its `-wal` and `-shm`
   * files; `null` when there was none. A `-wal` or `-shm` left without its
   * database file is moved there too (SQLite would replay it onto the copy),
   * though no database file is.
   */
  setAside: string | null;
  /** The backup's schema version; `store.migrate()` brings an older one up to date. */
  schemaVersion: number;
}

/** The suffixes of a database's files: the database itself, and beside it in WAL mode the files SQLite reads with it. */
const DATABASE_FILES = ['', '-wal', '-shm'] as const;

/**
 * The schema version of the store at `path`, once it proved sound; a
 * `CorruptBackupError` of `backupPath` otherwise. `path` is the backup itself,
 * or the copy of it once in place (with whatever SQLite reads beside it).
 */
function checkStore(path: string, backupPath: string): number {
  if (!existsSync(path)) throw new CorruptBackupError(backupPath, 'there is no such file');
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const problems = (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check);
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new CorruptBackupError(backupPath, `it fails SQLite's integrity check: ${problems.slice(0, 3).join('; ')}`);
    }
    const version = readSqliteSchemaVersion(db);
    if (version === 0) throw new CorruptBackupError(backupPath, 'it holds no voice-mfa store');
    return version;
  } catch (error) {
    if (error instanceof CorruptBackupError) throw error;
    throw new CorruptBackupError(backupPath, messageOf(error), { cause: error });
  } finally {
    db?.close();
  }
}

/** Renames `from` and its `-wal` and `-shm` files, those that exist, to `to`. */
async function moveWithCompanions(from: string, to: string): Promise<void> {
  for (const suffix of DATABASE_FILES) {
    if (existsSync(from + suffix)) await rename(from + suffix, to + suffix);
  }
}

/**
 * Refuses to replace a database that a process has open. Leaving WAL mode
 * needs the only connection, so it is the test; it also folds the `-wal` file
 * into the database that is set aside. A file too damaged to say is replaced.
 */
function checkNotInUse(path: string): void {
  if (!existsSync(path)) return;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 0');
    db.pragma('journal_mode = DELETE');
  } catch (error) {
    if (isBusy(error)) {
      throw new StoreUnavailableError(
        `The SQLite database ${path} is in use: stop every process using it (and close its stores), then restore`,
        { cause: error },
      );
    }
  } finally {
    db?.close();
  }
}

/**
 * Replaces the database at `databasePath` with the backup at `backupPath`, for
 * when the database is damaged. Stop every process using the database first.
 * The backup is checked before anything changes: a damaged or foreign file is
 * refused with a `CorruptBackupError`. The replaced database is renamed to
 * `<database>.replaced-<time>`, not deleted.
 *
 * @example
 * ```ts
 * await restoreSqliteBackup('/var/backups/verifications.db', '/var/lib/app/verifications.db');
 * const store = new SqliteVerificationStore({ path: '/var/lib/app/verifications.db' });
 * await store.migrate();
 * ```
 */
export async function restoreSqliteBackup(backupPath: string, databasePath: string): Promise<RestoredSqliteBackup> {
  const backup = resolve(backupPath);
  const database = resolve(databasePath);
  if (backup === database) throw new CorruptBackupError(backup, 'it is the database to replace');
  const schemaVersion = checkStore(backup, backup);
  checkNotInUse(database);
  const incoming = `${database}.restoring-${process.pid}`;
  await copyFile(backup, incoming);
  await syncFile(incoming);
  let setAside: string | null = null;
  // A -wal or -shm without its database file is set aside too: SQLite would replay it onto the copy.
  if (DATABASE_FILES.some((suffix) => existsSync(database + suffix))) {
    setAside = `${database}.replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await moveWithCompanions(database, setAside);
  }
  await rename(incoming, database);
  try {
    checkStore(database, backup);
  } catch (error) {
    // Back to how it was: the copy that failed goes, what it replaced returns.
    await moveWithCompanions(database, incoming);
    if (setAside !== null) await moveWithCompanions(setAside, database);
    await Promise.all(DATABASE_FILES.map((suffix) => rm(incoming + suffix, { force: true })));
    throw error;
  }
  await syncDirectory(dirname(database));
  return { databasePath: database, backupPath: backup, setAside, schemaVersion };
}
