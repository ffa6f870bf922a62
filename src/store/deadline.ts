/**
 * A verification's deadline as every store keeps it.
 *
 * @module
 */
import type { StoredVerification } from './types.js';

/** The deadline a verification is stored with: none once it finished, whatever the step wrote, so sweeps never see it. */
export function storedDueAt(verification: Pick<StoredVerification, 'status' | 'dueAt'>): number | null {
  return verification.status === 'finished' ? null : verification.dueAt;
}
