/**
 * Connections to a SQLite database file, as the store uses them: WAL mode,
 * failures named with the file, and the write lock taken without blocking the
 * event loop.
 *
 * @module
 */
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../errors.js';

/**
 * How commits reach the disk: `full` (each commit is on the disk before it
 * returns) or `normal` (at checkpoints: see the store's `synchronous` option).
 *
 * @example
 * ```ts
 * const synchronous: SqliteSynchronous = process.env.UPS_BACKED === '1' ? 'normal' : 'full';
 * ```
 */
export type SqliteSynchronous = 'full' | 'normal';

/** Every {@link SqliteSynchronous} mode, for checking an option. */
export const SYNCHRONOUS_MODES: readonly SqliteSynchronous[] = ['full', 'normal'];

/** The codes with which SQLite says the file (or its lock), not a statement, is the problem. */
const FILE_PROBLEMS = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_PERM',
  'SQLITE_AUTH',
]);

const codeOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : '';

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** `SQLITE_IOERR` for `SQLITE_IOERR_WRITE`: the primary code of an extended one. */
const primaryCode = (error: unknown): string => codeOf(error).split('_').slice(0, 2).join('_');

/** Whether SQLite answered that another connection holds the lock. */
export function isBusy(error: unknown): boolean {
  const code = primaryCode(error);
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/** A `StoreUnavailableError` naming the file, for errors that are the file's; any other error as it is. */
export function toStoreError(error: unknown, path: string): unknown {
  const code = primaryCode(error);
  if (!FILE_PROBLEMS.has(code)) return error;
  const hint = code === 'SQLITE_CORRUPT' ? ': restore the last good backup (restoreSqliteBackup)' : '';
  return new StoreUnavailableError(`The SQLite database ${path} cannot be used: ${messageOf(error)}${hint}`, {
    cause: error,
  });
}

/**
 * Opens the file (creating it if missing) in WAL mode, so that readers never
 * wait for the writer. A writing connection answers "busy" at once: the store
 * retries its lock without blocking (see {@link beginImmediate}); a reading one
 * waits up to `busyTimeoutMs` for the rare moments WAL needs a lock.
 */
export function openSqliteDatabase(
  path: string,
  options: { role: 'writer' | 'reader'; synchronous: SqliteSynchronous; busyTimeoutMs: number },
): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`it cannot be put in WAL mode (journal mode ${String(mode)})`);
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // A WAL file that grew during a long backup is cut back once checkpointed.
    db.pragma('journal_size_limit = 67108864');
    if (options.role === 'reader') db.pragma('query_only = ON');
    else db.pragma('busy_timeout = 0');
    return db;
  } catch (error) {
    db?.close();
    throw new StoreUnavailableError(`The SQLite database ${path} cannot be opened: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Takes the database's write lock (`BEGIN IMMEDIATE`), retrying while another
 * process holds it, with short jittered pauses that leave the event loop free.
 * After `timeoutMs` it gives up with a `StoreUnavailableError`.
 */
export async function beginImmediate(db: Database.Database, path: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      db.exec('BEGIN IMMEDIATE');
      return;
    } catch (error) {
      if (!isBusy(error)) throw toStoreError(error, path);
      if (performance.now() >= deadline) {
        throw new StoreUnavailableError(
          `The SQLite database ${path} stayed locked by another process for more than ${timeoutMs} ms`,
          { cause: error },
        );
      }
      await pause(Math.min(1 + attempt, 8) * (0.5 + Math.random()));
    }
  }
}
