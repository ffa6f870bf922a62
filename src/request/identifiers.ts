/**
 * What an id given by the host may be (a verification's, a user's, an
 * instance's), checked the same way wherever one is taken.
 *
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import { type OptionNames, unknownOptionIssues } from '../optionNames.js';
import { isRecord } from './normalizeRequest.js';
import { CONTROL_CHARACTER, UNPAIRED_SURROGATE } from './text.js';

/** Longest id, in UTF-16 code units. */
export const MAX_ID_LENGTH = 256;

/** Why `value` is no id, or `null` when it is one. */
export function idProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    return `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`;
  }
  if (CONTROL_CHARACTER.test(value)) return 'must not hold control characters (a NUL, a line break)';
  // A store keeps ids as UTF-8 text, which has no unpaired surrogate: the id would read back as another.
  return UNPAIRED_SURROGATE.test(value) ? 'must not hold unpaired surrogates (half of a UTF-16 pair)' : null;
}

/**
 * Checks an id the host gives at `path`, as {@link idProblem} judges it.
 *
 * @throws `InvalidRequestError` naming `path`.
 */
export function checkId(value: unknown, path: string): string {
  const problem = idProblem(value);
  if (problem !== null) throw new InvalidRequestError([{ path, message: problem }]);
  return value as string;
}

/**
 * Checks the id of a verification the host names (to read, wait for, cancel
 * or give an event to): what no start accepts is no verification's id.
 *
 * @throws `InvalidRequestError` naming `verificationId`.
 */
export const checkVerificationId = (value: unknown): string => checkId(value, 'verificationId');

/** A start's options, checked. */
export interface CheckedStartOptions {
  verificationId: string | undefined;
  userId: string | null;
}

/**
 * Checks the ids a verification is started with (the durable service's
 * `start` options, `runVerification`'s): ids that are non-empty strings of at
 * most 256 characters without control characters or unpaired surrogates
 * (`idProblem`), and a user (not blank) when the abuse limits need one; with
 * `known`, no option but those (`runVerification` checks its other options itself).
 *
 * @throws `InvalidRequestError` listing every problem.
 */
export function checkStartOptions(options: unknown, needsUser: boolean, known?: OptionNames): CheckedStartOptions {
  if (!isRecord(options)) {
    throw new InvalidRequestError([{ path: 'options', message: 'must be an object: { userId?, verificationId? }' }]);
  }
  const issues = known === undefined ? [] : unknownOptionIssues(options, known);
  for (const path of ['verificationId', 'userId'] as const) {
    const problem = options[path] === undefined ? null : idProblem(options[path]);
    if (problem !== null) issues.push({ path, message: problem });
  }
  const userId = typeof options.userId === 'string' ? options.userId : null;
  if (needsUser && (userId === null || userId.trim() === '') && !issues.some((issue) => issue.path === 'userId')) {
    issues.push({ path: 'userId', message: 'the abuse limits need the id of the user being verified' });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return { verificationId: options.verificationId as string | undefined, userId };
}
