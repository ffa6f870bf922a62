/**
 * A backup whose worker fails — it cannot load the driver, runs out of memory,
 * or stops before answering — is a StoreUnavailableError, as every other
 * failure of a backup is, and leaves no partial file behind.
 */
import type { EventEmitter } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { SqliteVerificationStore } from '../../src/store/sqlite/sqliteStore.js';

/** What the next backup worker does instead of copying. */
const failure = vi.hoisted(() => ({ next: (_worker: NodeJS.EventEmitter): void => {} }));

vi.mock('node:worker_threads', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:worker_threads')>();
  const { EventEmitter } = await import('node:events');
  class FailingWorker extends EventEmitter {
    constructor() {
      super();
      setImmediate(() => failure.next(this));
    }
  }
  return { ...original, Worker: FailingWorker };
});

const directory = mkdtempSync(join(tmpdir(), 'voice-mfa-backup-worker-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('a backup whose worker fails', () => {
  it.each([
    [
      'stops before answering',
      (worker: EventEmitter) => worker.emit('exit', 1),
      /the backup worker stopped \(exit code 1\)/,
    ],
    [
      'throws',
      (worker: EventEmitter) => worker.emit('error', new Error('Cannot find module better-sqlite3')),
      /the backup worker failed: Cannot find module better-sqlite3/,
    ],
  ])('is a StoreUnavailableError when the worker %s', async (_name, fail, message) => {
    const path = join(directory, `verifications-${Math.random().toString(36).slice(2)}.db`);
    const store = new SqliteVerificationStore({ path });
    await store.migrate();
    failure.next = fail;
    const backup = store.backup(join(directory, 'backup.db'));
    await expect(backup).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(backup).rejects.toThrow(message);
    expect(readdirSync(directory).filter((name) => name.startsWith('backup.db'))).toEqual([]);
    await store.close();
  });
});
