/**
 * Online backup of a SQLite store: `VACUUM INTO` writes a consistent snapshot
 * (one read transaction, so writers in every process go on meanwhile) to a new
 * file, which is checked with `PRAGMA integrity_check` and then renamed into
 * place. The work runs in a worker thread with its own connection, so the
 * process keeps serving while a large database is copied.
 *
 * A plain copy of the live file is no backup: commits still in the `-wal`
 * file are missing from it, and a copy taken while a checkpoint writes pages
 * mixes two states of the database.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { StoreUnavailableError } from '../errors.js';
import { messageOf, toStoreError } from './connection.js';
import { syncDirectory, syncFile } from './syncToDisk.js';

/**
 * A backup that was written.
 *
 * @example
 * ```ts
 * const backup: SqliteBackup = await store.backup('/var/backups/verifications.db');
 * console.log(`${backup.bytes} bytes in ${Math.round(backup.durationMs)} ms`);
 * ```
 */
export interface SqliteBackup {
  /** Absolute path of the backup file. */
  path: string;
  /** Its size. */
  bytes: number;
  /** How long making and checking it took. */
  durationMs: number;
}

/** Runs in the worker: copy, then check the copy. Plain JavaScript, since the worker loads no TypeScript. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
try {
  const source = new Database(workerData.source, { fileMustExist: true });
  try {
    source.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
    source.prepare('VACUUM INTO ?').run(workerData.destination);
  } finally {
    source.close();
  }
  const copy = new Database(workerData.destination, { fileMustExist: true });
  try {
    parentPort.postMessage({ integrity: copy.pragma('integrity_check').map((row) => row.integrity_check) });
  } finally {
    copy.close();
  }
} catch (error) {
  parentPort.postMessage({ error: { message: error.message, code: error.code } });
}
`;

type WorkerAnswer = { integrity: string[] } | { error: { message: string; code?: string } };

function copyInWorker(source: string, destination: string, busyTimeoutMs: number): Promise<WorkerAnswer> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, source, destination, busyTimeoutMs },
    });
    // A worker that fails (its driver not found, memory exhausted) or stops without answering fails the backup.
    const failed = (detail: string, cause?: unknown): void =>
      reject(new StoreUnavailableError(`The backup of ${source} failed: ${detail}`, { cause }));
    worker.once('message', (answer: WorkerAnswer) => resolvePromise(answer));
    worker.once('error', (error) => failed(`the backup worker failed: ${messageOf(error)}`, error));
    worker.once('exit', (code) => failed(`the backup worker stopped (exit code ${code})`));
  });
}

/**
 * Writes a consistent, checked copy of the database at `sourcePath` to
 * `destinationPath`, replacing an earlier backup there only once the new one
 * is complete.
 */
export async function backupSqliteDatabase(
  sourcePath: string,
  destinationPath: string,
  busyTimeoutMs: number,
): Promise<SqliteBackup> {
  const started = performance.now();
  const destination = resolve(destinationPath);
  if (!existsSync(dirname(destination))) {
    throw new StoreUnavailableError(`Cannot write a backup to ${destination}: its directory does not exist`);
  }
  if (destination === resolve(sourcePath)) {
    throw new StoreUnavailableError(`Cannot write a backup of ${sourcePath} over the database itself`);
  }
  const partial = `${destination}.partial-${process.pid}-${Date.now()}`;
  try {
    const answer = await copyInWorker(sourcePath, partial, busyTimeoutMs);
    if ('error' in answer) {
      const failure = Object.assign(new Error(answer.error.message), { code: answer.error.code });
      const mapped = toStoreError(failure, sourcePath);
      throw mapped instanceof StoreUnavailableError
        ? mapped
        : new StoreUnavailableError(`The backup of ${sourcePath} failed: ${answer.error.message}`, { cause: failure });
    }
    if (answer.integrity.length !== 1 || answer.integrity[0] !== 'ok') {
      throw new StoreUnavailableError(
        `The backup of ${sourcePath} fails SQLite's integrity check (${answer.integrity.slice(0, 3).join('; ')}): the database itself may be damaged`,
      );
    }
    await syncFile(partial);
    await rename(partial, destination);
    await syncDirectory(dirname(destination));
    return { path: destination, bytes: (await stat(destination)).size, durationMs: performance.now() - started };
  } finally {
    await rm(partial, { force: true });
  }
}
