/**
 * Errors of the verification stores and of the durable service.
 *
 * @module
 */
import { describeIssues, type RequestIssue, VoiceMfaError } from '../errors.js';

/**
 * Options of the durable service, or of a store, that cannot work: no store, a
 * duration that is not a number in its range, a hook that is not a function,
 * a store's `synchronous` mode it does not know. `issues` lists every problem
 * found, not just the first; the code is `INVALID_CONFIGURATION`, and the
 * message names what the options were for.
 *
 * @example
 * ```ts
 * try { createVerificationService({ store, provider, sweepIntervalMs: 0 }); }
 * catch (error) {
 *   if (error instanceof InvalidServiceConfigurationError) error.issues; // [{ path: 'sweepIntervalMs', message: '…' }]
 * }
 * new SqliteVerificationStore({ path: 'data/verifications.db', lockTimeoutMs: Number.NaN });
 * // throws: Invalid SQLite store options: lockTimeoutMs: must be a number of milliseconds from 1 to 2147483647
 * ```
 */
export class InvalidServiceConfigurationError extends VoiceMfaError {
  /** Every problem found: the option, and what is wrong with it. */
  readonly issues: readonly RequestIssue[];

  /** `subject`: what the options were for, as the message names it. */
  constructor(issues: readonly RequestIssue[], subject = 'verification service') {
    super('INVALID_CONFIGURATION', `Invalid ${subject} options: ${describeIssues(issues)}`);
    this.issues = issues;
  }
}

/**
 * A verification with this id exists already.
 *
 * @example
 * ```ts
 * try { await service.start(request, { verificationId: 'v-1' }); }
 * catch (error) { if (error instanceof DuplicateVerificationError) console.log(error.verificationId); }
 * ```
 */
export class DuplicateVerificationError extends VoiceMfaError {
  constructor(readonly verificationId: string) {
    super('DUPLICATE_VERIFICATION', `A verification with id ${JSON.stringify(verificationId)} exists already`);
  }
}

/**
 * No verification has this id.
 *
 * @example
 * ```ts
 * await service.cancel('no-such-id'); // throws UnknownVerificationError
 * ```
 */
export class UnknownVerificationError extends VoiceMfaError {
  constructor(readonly verificationId: string) {
    super('UNKNOWN_VERIFICATION', `No verification has the id ${JSON.stringify(verificationId)}`);
  }
}

/**
 * A step tried to write over a version it did not read: another step got there
 * first. Nothing was written; the input may be retried.
 *
 * @example
 * ```ts
 * if (error instanceof StaleWriteError) retry();
 * ```
 */
export class StaleWriteError extends VoiceMfaError {
  constructor(
    readonly verificationId: string,
    readonly expectedVersion: number,
  ) {
    super(
      'STALE_WRITE',
      `Verification ${verificationId} is no longer at version ${expectedVersion - 1}: another step wrote it first`,
    );
  }
}

/**
 * A stored verification cannot be read (a damaged row, a snapshot of an
 * incompatible version). Only this verification is affected.
 *
 * @example
 * ```ts
 * if (error instanceof CorruptRecordError) alert(`verification ${error.verificationId} needs attention`);
 * ```
 */
export class CorruptRecordError extends VoiceMfaError {
  constructor(
    readonly verificationId: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('CORRUPT_RECORD', `Verification ${verificationId} cannot be read: ${detail}`, options);
  }
}

/**
 * The store cannot be reached or used (database down, file not writable,
 * driver missing).
 *
 * @example
 * ```ts
 * try { await store.migrate(); } catch (error) { if (error instanceof StoreUnavailableError) process.exit(1); }
 * ```
 */
export class StoreUnavailableError extends VoiceMfaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, options);
  }
}

/**
 * A backup cannot be restored: it is not a database, fails SQLite's integrity
 * check, or holds no voice-mfa store. Nothing was changed.
 *
 * @example
 * ```ts
 * try { await restoreSqliteBackup('backups/verifications.db', 'data/verifications.db'); }
 * catch (error) { if (error instanceof CorruptBackupError) console.log(`try an older backup than ${error.backupPath}`); }
 * ```
 */
export class CorruptBackupError extends VoiceMfaError {
  constructor(
    readonly backupPath: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('CORRUPT_BACKUP', `The backup ${backupPath} cannot be restored: ${detail}`, options);
  }
}

/**
 * The durable service was closed (`close()`) and takes no more work; the
 * message names the call it refused. Nothing was read, stored or dialled: the
 * call may be made on another instance.
 *
 * @example
 * ```ts
 * await service.close();
 * try { await service.start({ targets: ['+14255550100'] }); }
 * catch (error) { if (error instanceof ServiceClosedError) retryOnAnotherInstance(); }
 * ```
 */
export class ServiceClosedError extends VoiceMfaError {
  /** `operation`: the service's method that was called, e.g. `start`. */
  constructor(operation: string) {
    super('SERVICE_CLOSED', `The verification service is closed: ${operation} is refused`);
  }
}

/**
 * `waitForResult` gave up: the verification had not ended within the
 * `timeoutMs` it was given. The verification goes on; its result can be asked
 * for again.
 *
 * @example
 * ```ts
 * try { return await service.waitForResult(verificationId, { timeoutMs: 60_000 }); }
 * catch (error) { if (error instanceof ResultTimeoutError) await service.cancel(error.verificationId); }
 * ```
 */
export class ResultTimeoutError extends VoiceMfaError {
  constructor(
    readonly verificationId: string,
    readonly timeoutMs: number,
  ) {
    super('RESULT_TIMEOUT', `Verification ${JSON.stringify(verificationId)} has not ended within ${timeoutMs} ms`);
  }
}
