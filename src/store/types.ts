/**
 * The verification store: where durable verifications live between steps. One
 * interface, three adapters — memory (tests, one process), SQLite (the embedded
 * default, `voice-mfa/sqlite`) and PostgreSQL (many instances,
 * `voice-mfa/postgres`). Every value in it is plain JSON.
 *
 * @module
 */

import type { JsonValue } from '../json.js';

export type { JsonValue };

/**
 * Where a verification stands in the store.
 *
 * @example
 * ```ts
 * const open = (await store.read('v-1'))?.status === ('active' satisfies StoredStatus);
 * ```
 */
export type StoredStatus = 'active' | 'finished';

/**
 * One verification as stored: the machine's input (written once), its
 * persisted snapshot, the provider's per-verification state, and the earliest
 * deadline still to come.
 *
 * @example
 * ```ts
 * const stored: StoredVerification | null = await store.read('v-1');
 * if (stored?.status === 'finished') console.log(stored.result);
 * ```
 */
export interface StoredVerification {
  id: string;
  /** Fences writes: a step writes version `n + 1` only over version `n`. */
  version: number;
  status: StoredStatus;
  /** The normalised request the machine runs on; never changes. */
  input: JsonValue;
  /** The machine's persisted snapshot, without its input. */
  snapshot: JsonValue;
  /** The voice provider's state for this verification (its calls, tokens, TwiML). */
  provider: JsonValue;
  /** Clock reading (ms) of the earliest deadline still to come; `null` once finished (stores clear it, whatever a step wrote). */
  dueAt: number | null;
  /** The result once finished (as the machine gave it: numbers unmasked). */
  result: JsonValue;
  /** Who is being verified, for the host's PIN check and abuse limits; `null` when not given. */
  userId: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * One row of the append-only audit log. It never holds a PIN or a typed key.
 * Its text never holds a NUL (U+0000), which PostgreSQL's `text` cannot: every
 * store writes one, from a provider's code say, as U+FFFD, so that the log
 * reads the same in every store. The verification itself (its result) keeps
 * the value as it came.
 *
 * @example
 * ```ts
 * for (const entry of await store.readAudit({ verificationId: 'v-1' })) console.log(entry.at, entry.kind, entry.what);
 * ```
 */
export interface AuditEntry {
  verificationId: string;
  /** Clock reading (ms) of what is recorded. */
  at: number;
  /** `input` (an event, a deadline, a cancel), `attempt` (an attempt ended) or `final` (the verification ended). */
  kind: 'input' | 'attempt' | 'final';
  /** What happened, e.g. `call.answered`, `deadline`, `cancel`, an attempt result or a final status. */
  what: string;
  /** Index of the attempt concerned, when one is. */
  attempt: number | null;
  /** The number concerned, masked. */
  number: string | null;
  result: string | null;
  sitKind: string | null;
  sipCode: number | null;
  q850Cause: number | null;
  reason: string | null;
  /** MFA Server's report code for an attempt result. */
  legacyCode: string | null;
  /** The instance that ran the step. */
  instance: string;
  /** Whether the step replayed deadlines that passed while no instance ran. */
  replayed: boolean;
}

/**
 * What {@link VerificationStore.readAuditPage} is asked for: the rows after a
 * place in the log, at most `limit` of them, of one verification or of all.
 *
 * @example
 * ```ts
 * const request: AuditPageRequest = { after: page.next, limit: 1_000 };
 * ```
 */
export interface AuditPageRequest {
  /** The `next` of the page before; omitted, the log from its start. Only the store that gave it reads it. */
  after?: string;
  /** Rows at most: a whole number from 1 to 10 000. */
  limit: number;
  /** Only this verification's rows. */
  verificationId?: string;
}

/**
 * A page of the audit log, in the log's order.
 *
 * @example
 * ```ts
 * const page: AuditPage = await store.readAuditPage({ limit: 500 });
 * for (const entry of page.entries) console.log(entry.at, entry.what);
 * const following = await store.readAuditPage({ after: page.next, limit: 500 });
 * ```
 */
export interface AuditPage {
  /** The rows, at most the `limit` asked for. */
  entries: AuditEntry[];
  /**
   * Where the page ends: give it as `after` for the rows that follow. A page
   * with no rows gives back the place it was asked for, so a reader that
   * follows the log keeps asking from there.
   */
  next: string;
}

/**
 * How an effect may be carried out: `at-most-once` (placing a call: Twilio's
 * call creation has no idempotency key, so one that may have started is never
 * sent again) or `at-least-once` (hang-ups, hooks: retried until they hold).
 *
 * @example
 * ```ts
 * const delivery: OutboxDelivery = command.type === 'dial' ? 'at-most-once' : 'at-least-once';
 * ```
 */
export type OutboxDelivery = 'at-most-once' | 'at-least-once';

/**
 * An effect a step decided on, run after its commit.
 *
 * @example
 * ```ts
 * for (const entry of await store.findOutbox(now, now - 5_000, 50)) {
 *   if (await store.startOutbox(entry.id, now, 30_000)) await carryOut(entry.payload);
 * }
 * ```
 */
export interface OutboxEntry {
  /** Unique: `<verification id>/<version>/<n>`. */
  id: string;
  verificationId: string;
  delivery: OutboxDelivery;
  /** What to do, as the step's owner understands it. */
  payload: JsonValue;
  createdAt: number;
  /** When an instance started carrying it out; an `at-most-once` entry is then never started again. */
  startedAt: number | null;
  /**
   * Until when an instance holds it: the one that started it (another may take
   * an `at-least-once` entry after that), or, before it is started, the one that
   * committed it while the earlier effects of its step run ({@link VerificationStore.holdOutbox}).
   */
  leaseUntil: number | null;
  /** How many times it was started. */
  tries: number;
}

/**
 * A key under which webhooks find their verification: a dial token, a provider call id.
 *
 * @example
 * ```ts
 * const verificationId = await store.findBinding({ kind: 'call', key: 'CA0123' });
 * ```
 */
export interface Binding {
  kind: string;
  key: string;
}

/**
 * What one step writes, atomically.
 *
 * @example
 * ```ts
 * const write: StepWrite = {
 *   verification: { ...current, version: current.version + 1, snapshot, dueAt },
 *   audit: [entry],
 *   outbox: [{ id: `${current.id}/${current.version + 1}/0`, verificationId: current.id, delivery: 'at-least-once', payload: { hangUp: 'CA1' }, createdAt: now }],
 * };
 * ```
 */
export interface StepWrite {
  /**
   * The verification at its new version (`version` one above the one read).
   * When it is `finished`, the store also removes the verification's
   * at-most-once effects that were started and never finished (their instance
   * stopped during the call): they are never offered again.
   */
  verification: StoredVerification;
  audit: readonly AuditEntry[];
  /** New effects to run after the commit. */
  outbox: readonly Omit<OutboxEntry, 'startedAt' | 'leaseUntil' | 'tries'>[];
  /** Effects this step made pointless (e.g. a dial of an attempt already given up on): removed unless started. */
  dropOutbox?: readonly string[];
  /** New webhook keys for this verification. */
  bindings?: readonly Binding[];
  /** The answer to the step's input, kept for a retry of the same input (same idempotency key). */
  answer?: { key: string; value: string };
}

/**
 * What a locked step sees of the verification.
 *
 * @example
 * ```ts
 * await store.withVerification('v-1', 'status:CA1:3', async ({ verification, storedAnswer, now }) => ({
 *   write: null,
 *   value: storedAnswer ?? `${verification?.status} at ${now}`,
 * }));
 * ```
 */
export interface LockedVerification {
  /** `null` for an id the store does not know. */
  verification: StoredVerification | null;
  /** The answer stored for the step's idempotency key, when the same input was handled before. */
  storedAnswer: string | null;
  /** The store's clock (PostgreSQL: the database's), read under the lock. */
  now: number;
}

/**
 * A store of durable verifications.
 *
 * @example
 * ```ts
 * const store = new MemoryVerificationStore();
 * await store.migrate();
 * const value = await store.withVerification('v-1', null, async ({ verification, now }) => ({
 *   write: null,
 *   value: verification?.status ?? 'unknown',
 * }));
 * ```
 */
export interface VerificationStore {
  /** `memory`, `sqlite` or `postgres`. */
  readonly kind: string;
  /** Creates or migrates the schema (a version table says where it stands); safe from several processes at once. */
  migrate(): Promise<void>;
  /** The store's clock in milliseconds: the database's on PostgreSQL, never an instance's own. */
  now(): Promise<number>;
  /**
   * Adds a new verification with its first step (version 1; any other is a
   * `StaleWriteError`). Throws `DuplicateVerificationError` when the id exists.
   */
  create(write: StepWrite): Promise<void>;
  /**
   * Runs `step` with the verification locked against every other step, in any
   * process, and commits what it returns in one transaction. The write must be
   * of the version read plus one; otherwise nothing is written and a
   * `StaleWriteError` is thrown.
   */
  withVerification<T>(
    id: string,
    idempotencyKey: string | null,
    step: (locked: LockedVerification) => Promise<{ write: StepWrite | null; value: T }>,
  ): Promise<T>;
  /** Reads a verification without locking it. */
  read(id: string): Promise<StoredVerification | null>;
  /** The verification a webhook key belongs to. */
  findBinding(binding: Binding): Promise<string | null>;
  /**
   * Ids of active verifications whose earliest deadline is due (`dueAt <= now`),
   * earliest first. Concurrent callers get distinct ids while their claim lasts
   * (`claimMs`), so that sweepers share the work.
   */
  claimDue(now: number, limit: number, claimMs: number): Promise<string[]>;
  /**
   * Outbox entries nobody holds: never started, older than `olderThan` and not
   * held (or held until before `now`), or `at-least-once` ones whose lease ended
   * before `now`. Longest free first — by the end of their lease or hold, else
   * their creation — so that entries tried and failed again and again go
   * behind the others and never starve them.
   */
  findOutbox(now: number, olderThan: number, limit: number): Promise<OutboxEntry[]>;
  /**
   * Holds entries not started yet until `until`, so that {@link VerificationStore.findOutbox}
   * does not offer them as left by a stopped instance: the instance that
   * committed a step holds the step's later effects while it carries out the
   * earlier ones (a hang-up before the next dial). Entries started or done are
   * left as they are.
   */
  holdOutbox(ids: readonly string[], until: number): Promise<void>;
  /**
   * Starts an entry for `leaseMs`: `false` when another instance holds it, when
   * it is done, or when it is `at-most-once` and was started before.
   */
  startOutbox(id: string, now: number, leaseMs: number): Promise<boolean>;
  /** Removes an entry that was carried out (or given up). */
  finishOutbox(id: string): Promise<void>;
  /**
   * The audit log, oldest first (one verification's, or all), at most `limit`
   * rows. A `limit` that is not a whole number from 1 up, or a
   * `verificationId` that is not a string, is an `InvalidRequestError` in
   * every store.
   */
  readAudit(filter?: { verificationId?: string; limit?: number }): Promise<AuditEntry[]>;
  /**
   * The audit log a page at a time, for a reader that exports it or follows
   * it: the rows after `after` (from the log's start without it), at most
   * `limit`, in the log's order, with the place to go on from. Paging from
   * each page's `next` reads every row once, none skipped: rows written while
   * paging come after the last page's place, and a place is never given again,
   * not even once the rows before it are purged. A page shorter than `limit`
   * has caught up with the log for now.
   *
   * A row joins the pages once no row can be written before it any more: at
   * once in memory and in SQLite, which write one step at a time; on
   * PostgreSQL, where steps commit concurrently, once every transaction on
   * the server that took a transaction id before its own has ended (usually
   * milliseconds; a session left idle in a transaction, or a prepared one,
   * holds the rows after it back until it ends).
   *
   * A request with another field, a `limit` that is not a whole number from 1
   * to 10 000, a `verificationId` that is not a string, or an `after` not in
   * the form of this kind of store's places, is an `InvalidRequestError` in
   * every store; so is a place the store can tell is no longer good: past the
   * last row it ever wrote (taken before a restore from an older backup), or
   * on PostgreSQL from before its log was brought from another server.
   *
   * @example
   * ```ts
   * let after: string | undefined;
   * for (;;) {
   *   const page = await store.readAuditPage({ after, limit: 1_000 });
   *   await appendFile('audit.jsonl', toAuditJsonLines(page.entries));
   *   after = page.next; // kept by the exporter, to go on from there next time
   *   if (page.entries.length < 1_000) break;
   * }
   * ```
   */
  readAuditPage(request: AuditPageRequest): Promise<AuditPage>;
  /**
   * Deletes up to `limit` finished verifications last written (`updatedAt`)
   * before `finishedBefore` (the store's clock, in ms), oldest first, with
   * their stored answers, webhook keys and outbox entries (effects still
   * pending included), in one transaction; returns how many verifications it
   * removed, so that a caller repeats it until `0`. Active verifications are
   * never removed, whatever their age, nor is the audit log (see
   * {@link VerificationStore.purgeAudit}). A purged verification reads as
   * unknown: `read` and `findBinding` give `null`. A verification whose step
   * is under way is removed whole after the step or kept whole for a later
   * call (PostgreSQL skips it), never written back in part.
   *
   * A `finishedBefore` that is not a finite number, or a `limit` that is not
   * a whole number from 1 to 10 000, is an `InvalidRequestError` in every
   * store, and nothing is deleted.
   *
   * @example
   * ```ts
   * const day = 24 * 60 * 60 * 1000;
   * const finishedBefore = (await store.now()) - 30 * day;
   * while ((await store.purgeFinished(finishedBefore, 500)) > 0) {}
   * ```
   */
  purgeFinished(finishedBefore: number, limit: number): Promise<number>;
  /**
   * Deletes up to `limit` audit rows recorded (`at`) before `before` (the
   * store's clock, in ms), oldest first, in one transaction; returns how many
   * it removed, so that a caller repeats it until `0`. Separate from
   * {@link VerificationStore.purgeFinished} because an audit log is usually
   * kept longer than the verifications it tells of. Arguments are checked as
   * `purgeFinished` checks them.
   *
   * @example
   * ```ts
   * const before = (await store.now()) - 365 * 24 * 60 * 60 * 1000;
   * while ((await store.purgeAudit(before, 5_000)) > 0) {}
   * ```
   */
  purgeAudit(before: number, limit: number): Promise<number>;
  /**
   * Calls `listener` when another process committed a step that brought a
   * deadline or an effect forward (PostgreSQL's LISTEN/NOTIFY). Returns an
   * unsubscribe function. Stores without it only call it for their own commits.
   */
  onWake(listener: () => void): () => void;
  /** Releases connections. */
  close(): Promise<void>;
}
