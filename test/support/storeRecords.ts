/**
 * Verifications, audit rows and steps as the store tests (and the store
 * benchmark, and the worker processes) write them: plain data, no test runner.
 */
import type { AuditEntry, StepWrite, StoredVerification, VerificationStore } from '../../src/store/types.js';

let counter = 0;
export const newId = (): string => `v-${process.pid}-${Date.now()}-${++counter}`;

export function storedVerification(id: string, overrides: Partial<StoredVerification> = {}): StoredVerification {
  return {
    id,
    version: 1,
    status: 'active',
    input: { targets: ['+14255550100'], mode: 'standard', nested: { list: [1, 2.5, 'ü', null, true] } },
    snapshot: { value: { calling: 'attempt' }, context: { now: 0 } },
    provider: { calls: [] },
    dueAt: 30_000,
    result: null,
    userId: 'alice',
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  };
}

export function auditRow(verificationId: string, what: string, at = 0): AuditEntry {
  return {
    verificationId,
    at,
    kind: 'input',
    what,
    attempt: 0,
    number: '+1 425 ••• 0100',
    result: null,
    sitKind: null,
    sipCode: null,
    q850Cause: null,
    reason: null,
    legacyCode: null,
    instance: 'test',
    replayed: false,
  };
}

export function firstWrite(verification: StoredVerification, extra: Partial<StepWrite> = {}): StepWrite {
  return { verification, audit: [auditRow(verification.id, 'start')], outbox: [], ...extra };
}

/** A step that moves the verification one version on, with `changes`. */
export function nextVersion(
  current: StoredVerification,
  changes: Partial<StoredVerification> = {},
): StoredVerification {
  return { ...current, ...changes, version: current.version + 1 };
}

/** One step that only moves the verification's version on, answering `value`. */
export function stepVersion<T = null>(store: VerificationStore, id: string, value: T = null as T): Promise<T> {
  return store.withVerification(id, null, async ({ verification }) => {
    if (verification === null) throw new Error(`${id} is missing`);
    return { write: { verification: nextVersion(verification), audit: [], outbox: [] }, value };
  });
}

/** A step that holds its verification's lock until it is released. */
export interface HeldStep {
  release(): void;
  /** The step, settled once released. */
  done: Promise<null>;
}

/** Starts a step on `id` that writes nothing and keeps the lock; resolves once the step holds it. */
export async function holdVerification(store: VerificationStore, id: string): Promise<HeldStep> {
  let release = () => {};
  let held = () => {};
  const locked = new Promise<void>((resolve) => {
    held = resolve;
  });
  const done = store.withVerification(id, null, async () => {
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    held();
    await released;
    return { write: null, value: null };
  });
  await Promise.race([locked, done]);
  return { release: () => release(), done };
}
