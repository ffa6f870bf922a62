/**
 * The in-memory verification store: for tests and for one process. Values go
 * in and out as copies, so nothing a step holds survives it — as with a
 * database.
 *
 * @module
 */

import { optionNames } from '../optionNames.js';
import { type RuntimeClock, systemClock } from '../runtime/clock.js';
import {
  checkAuditFilter,
  checkAuditPageRequest,
  placeBeyondLog,
  readSequencePlace,
  sequencePlace,
  storedAuditEntry,
} from './audit.js';
import { storedTime, storedTimes } from './deadline.js';
import { DuplicateVerificationError, type InvalidServiceConfigurationError, StaleWriteError } from './errors.js';
import { checkOptions } from './options.js';
import { checkPurgeArguments } from './retention.js';
import type {
  AuditEntry,
  AuditPage,
  AuditPageRequest,
  Binding,
  LockedVerification,
  OutboxEntry,
  StepWrite,
  StoredVerification,
  VerificationStore,
} from './types.js';
import { callWakeListeners } from './wake.js';
import { WorkQueues } from './workQueues.js';

/**
 * Options of a {@link MemoryVerificationStore}.
 *
 * @example
 * ```ts
 * const store = new MemoryVerificationStore({ clock: new VirtualClock() });
 * ```
 */
export interface MemoryVerificationStoreOptions {
  /** The store's clock. Default: the system clock; pass the tests' virtual clock to share its time. */
  clock?: Pick<RuntimeClock, 'now'>;
}

const MEMORY_STORE_OPTIONS = optionNames<MemoryVerificationStoreOptions>({ clock: true });

const copy = <T>(value: T): T => structuredClone(value);

/**
 * An at-most-once effect of the verification that was started and never
 * finished (its instance stopped during the call): never offered again, it is
 * removed once the verification finished, as the SQL stores do.
 */
const isStranded = (entry: OutboxEntry, verificationId: string): boolean =>
  entry.verificationId === verificationId && entry.delivery === 'at-most-once' && entry.startedAt !== null;
/** When an entry became free to take: when its lease or hold ended, else when it was made. Tried ones go behind. */
const freeSince = (entry: OutboxEntry): number => entry.leaseUntil ?? entry.createdAt;
const bindingKey = (binding: Binding): string => `${binding.kind}\u0000${binding.key}`;

/**
 * Verifications in this process's memory, shared by every service created on
 * it (several "instances" in one test).
 *
 * @example
 * ```ts
 * const store = new MemoryVerificationStore({ clock });
 * const service = createVerificationService({ store, provider, clock });
 * ```
 */
export class MemoryVerificationStore implements VerificationStore {
  readonly kind = 'memory';
  private readonly clock: Pick<RuntimeClock, 'now'>;
  private readonly verifications = new Map<string, StoredVerification>();
  /** Stored answers by verification, then by idempotency key. */
  private readonly answers = new Map<string, Map<string, string>>();
  private readonly bindings = new Map<string, string>();
  private readonly outbox = new Map<string, OutboxEntry>();
  /** The audit log in order, each row with its number in it (numbers are never given twice, purged or not). */
  private readonly audit: { seq: number; entry: AuditEntry }[] = [];
  private lastAuditSeq = 0;
  private readonly locks = new WorkQueues();
  private readonly dueClaims = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  /** @throws {@link InvalidServiceConfigurationError} when `clock` is not a clock. */
  constructor(options: MemoryVerificationStoreOptions = {}) {
    checkOptions('memory store', options, MEMORY_STORE_OPTIONS, ({ clock }) => clock('clock'));
    this.clock = options.clock ?? systemClock;
  }

  async migrate(): Promise<void> {}

  async now(): Promise<number> {
    return this.clock.now();
  }

  async create(write: StepWrite): Promise<void> {
    const { id } = write.verification;
    await this.locks.run(id, async () => {
      if (this.verifications.has(id)) throw new DuplicateVerificationError(id);
      if (write.verification.version !== 1) throw new StaleWriteError(id, write.verification.version);
      this.commit(write);
    });
  }

  withVerification<T>(
    id: string,
    idempotencyKey: string | null,
    step: (locked: LockedVerification) => Promise<{ write: StepWrite | null; value: T }>,
  ): Promise<T> {
    return this.locks.run(id, async () => {
      const stored = this.verifications.get(id);
      const storedAnswer = idempotencyKey === null ? null : (this.answers.get(id)?.get(idempotencyKey) ?? null);
      const { write, value } = await step({
        verification: stored === undefined ? null : copy(stored),
        storedAnswer,
        now: this.clock.now(),
      });
      if (write !== null) {
        const expected = (stored?.version ?? 0) + 1;
        if (write.verification.id !== id || write.verification.version !== expected) {
          throw new StaleWriteError(id, write.verification.version);
        }
        this.commit(write);
      }
      return value;
    });
  }

  async read(id: string): Promise<StoredVerification | null> {
    const stored = this.verifications.get(id);
    return stored === undefined ? null : copy(stored);
  }

  async findBinding(binding: Binding): Promise<string | null> {
    return this.bindings.get(bindingKey(binding)) ?? null;
  }

  async claimDue(now: number, limit: number, claimMs: number): Promise<string[]> {
    const due = [...this.verifications.values()]
      .filter((v) => v.status === 'active' && v.dueAt !== null && v.dueAt <= now)
      .filter((v) => (this.dueClaims.get(v.id) ?? Number.NEGATIVE_INFINITY) <= now)
      .sort((a, b) => (a.dueAt ?? 0) - (b.dueAt ?? 0))
      .slice(0, limit);
    for (const v of due) this.dueClaims.set(v.id, now + claimMs);
    return due.map((v) => v.id);
  }

  async findOutbox(now: number, olderThan: number, limit: number): Promise<OutboxEntry[]> {
    return [...this.outbox.values()]
      .filter((entry) =>
        entry.startedAt === null
          ? entry.createdAt <= olderThan && (entry.leaseUntil === null || entry.leaseUntil < now)
          : entry.delivery === 'at-least-once' && (entry.leaseUntil ?? 0) < now,
      )
      .sort((a, b) => freeSince(a) - freeSince(b) || a.createdAt - b.createdAt)
      .slice(0, limit)
      .map(copy);
  }

  async holdOutbox(ids: readonly string[], until: number): Promise<void> {
    for (const id of ids) {
      const entry = this.outbox.get(id);
      if (entry !== undefined && entry.startedAt === null) entry.leaseUntil = until;
    }
  }

  async startOutbox(id: string, now: number, leaseMs: number): Promise<boolean> {
    const entry = this.outbox.get(id);
    if (entry === undefined) return false;
    if (entry.startedAt !== null && (entry.delivery === 'at-most-once' || (entry.leaseUntil ?? 0) >= now)) return false;
    entry.startedAt = now;
    entry.leaseUntil = now + leaseMs;
    entry.tries += 1;
    return true;
  }

  async finishOutbox(id: string): Promise<void> {
    this.outbox.delete(id);
  }

  async readAudit(filter: { verificationId?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const { verificationId, limit } = checkAuditFilter(filter);
    const rows = this.audit
      .map((row) => row.entry)
      .filter((row) => verificationId === undefined || row.verificationId === verificationId);
    return copy(limit === undefined ? rows : rows.slice(0, limit));
  }

  async readAuditPage(request: AuditPageRequest): Promise<AuditPage> {
    const { place, limit, verificationId } = checkAuditPageRequest(request, readSequencePlace, 0);
    if (place > this.lastAuditSeq) throw placeBeyondLog(String(request.after));
    const page: { seq: number; entry: AuditEntry }[] = [];
    for (let i = this.firstAuditRowAfter(place); i < this.audit.length && page.length < limit; i++) {
      const row = this.audit[i] as { seq: number; entry: AuditEntry };
      if (verificationId === undefined || row.entry.verificationId === verificationId) page.push(row);
    }
    return { entries: copy(page.map((row) => row.entry)), next: sequencePlace(page.at(-1)?.seq ?? place) };
  }

  /** Index of the first audit row numbered after `seq` (the rows are in order: a binary search). */
  private firstAuditRowAfter(seq: number): number {
    let low = 0;
    let high = this.audit.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.audit[middle] as { seq: number }).seq <= seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  async purgeFinished(finishedBefore: number, limit: number): Promise<number> {
    checkPurgeArguments('finishedBefore', finishedBefore, limit, 'verifications');
    const isPurgeable = (v: StoredVerification | undefined): v is StoredVerification =>
      v !== undefined && v.status === 'finished' && v.updatedAt < finishedBefore;
    const candidates = [...this.verifications.values()]
      .filter(isPurgeable)
      .sort((a, b) => a.updatedAt - b.updatedAt)
      .slice(0, limit)
      .map((v) => v.id);
    const ids = new Set<string>();
    // Each under its lock, checked again there: a step under way would otherwise write the verification back.
    await Promise.all(
      candidates.map((id) =>
        this.locks.run(id, async () => {
          if (!isPurgeable(this.verifications.get(id))) return;
          this.verifications.delete(id);
          this.answers.delete(id);
          this.dueClaims.delete(id);
          ids.add(id);
        }),
      ),
    );
    for (const [key, verificationId] of this.bindings) if (ids.has(verificationId)) this.bindings.delete(key);
    for (const [id, entry] of this.outbox) if (ids.has(entry.verificationId)) this.outbox.delete(id);
    return ids.size;
  }

  async purgeAudit(before: number, limit: number): Promise<number> {
    checkPurgeArguments('before', before, limit, 'audit rows');
    const purged = new Set(
      this.audit
        .filter((row) => row.entry.at < before)
        .sort((a, b) => a.entry.at - b.entry.at)
        .slice(0, limit),
    );
    let kept = 0;
    for (const row of this.audit) if (!purged.has(row)) this.audit[kept++] = row;
    this.audit.length = kept;
    return purged.size;
  }

  onWake(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private commit(write: StepWrite): void {
    // Copied first: a value that cannot be copied (a function in a payload) fails the write before any of it lands.
    const verification = { ...copy(write.verification), ...storedTimes(write.verification) };
    const audit = write.audit.map(storedAuditEntry);
    const outbox = write.outbox.map((entry) => ({
      ...copy(entry),
      createdAt: storedTime(entry.createdAt),
      startedAt: null,
      leaseUntil: null,
      tries: 0,
    }));
    this.verifications.set(verification.id, verification);
    this.dueClaims.delete(verification.id);
    for (const entry of audit) this.audit.push({ seq: ++this.lastAuditSeq, entry });
    for (const id of write.dropOutbox ?? []) {
      if (this.outbox.get(id)?.startedAt === null) this.outbox.delete(id);
    }
    if (verification.status === 'finished') {
      for (const [id, entry] of this.outbox) {
        if (isStranded(entry, verification.id)) this.outbox.delete(id);
      }
    }
    for (const entry of outbox) this.outbox.set(entry.id, entry);
    for (const binding of write.bindings ?? []) this.bindings.set(bindingKey(binding), verification.id);
    if (write.answer !== undefined) {
      const answers = this.answers.get(verification.id) ?? new Map<string, string>();
      answers.set(write.answer.key, write.answer.value);
      this.answers.set(verification.id, answers);
    }
    callWakeListeners(this.listeners);
  }
}
