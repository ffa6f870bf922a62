/**
 * Typed errors. Every error the library throws is a {@link VoiceMfaError} with
 * a machine-readable `code`.
 *
 * @module
 */

/** Codes of the library's errors. */
export type VoiceMfaErrorCode =
  | 'INVALID_REQUEST'
  | 'INVALID_CONFIGURATION'
  | 'INVALID_PHONE_NUMBER'
  | 'VERIFICATION_REFUSED'
  | 'PROVIDER_ERROR'
  | 'UNKNOWN_VERIFICATION'
  | 'DUPLICATE_VERIFICATION'
  | 'STALE_WRITE'
  | 'CORRUPT_RECORD'
  | 'STORE_UNAVAILABLE'
  | 'CORRUPT_BACKUP'
  | 'SERVICE_CLOSED'
  | 'RESULT_TIMEOUT';

/**
 * Base class of every error the library throws.
 *
 * @example
 * ```ts
 * try { createVerificationActor(request); }
 * catch (error) { if (error instanceof VoiceMfaError) log(error.code, error.message); }
 * ```
 */
export class VoiceMfaError extends Error {
  /** Machine-readable code. */
  readonly code: VoiceMfaErrorCode;

  constructor(code: VoiceMfaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem found in a request: where, and what is wrong. */
export interface RequestIssue {
  /** Dotted path of the field, e.g. `timing.inputTimeoutMs`. */
  path: string;
  message: string;
}

/**
 * The issues as an error message tells them: `path: message`, separated by `; `.
 *
 * @example
 * ```ts
 * describeIssues([{ path: 'targets', message: 'at least one phone target is required' }]);
 * // 'targets: at least one phone target is required'
 * ```
 */
export function describeIssues(issues: readonly RequestIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
}

/**
 * A verification request was refused before anything started. `issues` lists
 * every problem found, not just the first.
 *
 * @example
 * ```ts
 * try { normalizeVerificationRequest({ targets: [] }); }
 * catch (error) {
 *   if (error instanceof InvalidRequestError) console.log(error.issues); // [{ path: 'targets', message: '…' }]
 * }
 * ```
 */
export class InvalidRequestError extends VoiceMfaError {
  readonly issues: readonly RequestIssue[];

  constructor(issues: readonly RequestIssue[]) {
    super('INVALID_REQUEST', `Invalid verification request: ${describeIssues(issues)}`);
    this.issues = issues;
  }
}
