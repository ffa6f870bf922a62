/**
 * A verification's times as every store keeps them: whole milliseconds (the
 * SQL stores' columns are integers), whatever a host's clock reads.
 *
 * @module
 */
import type { StoredVerification } from './types.js';

/**
 * The deadline a verification is stored with: none once it finished, whatever
 * the step wrote, so sweeps never see it; else rounded up, so that it never
 * falls before the time the step decided on.
 */
export function storedDueAt(verification: Pick<StoredVerification, 'status' | 'dueAt'>): number | null {
  return verification.status === 'finished' || verification.dueAt === null ? null : Math.ceil(verification.dueAt);
}

/** A clock reading of something that happened (a creation, an update, an audit entry), rounded down. */
export const storedTime = (at: number): number => Math.floor(at);

/** A verification's times as every store keeps them: its deadline ({@link storedDueAt}) and when it was created and last written. */
export function storedTimes(
  verification: Pick<StoredVerification, 'status' | 'dueAt' | 'createdAt' | 'updatedAt'>,
): Pick<StoredVerification, 'dueAt' | 'createdAt' | 'updatedAt'> {
  return {
    dueAt: storedDueAt(verification),
    createdAt: storedTime(verification.createdAt),
    updatedAt: storedTime(verification.updatedAt),
  };
}
