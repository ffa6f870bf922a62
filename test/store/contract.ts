/**
 * What every verification store does, whatever keeps the data: one suite, run
 * against the memory store and against SQLite and PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/errors.js';
import { DuplicateVerificationError, StaleWriteError } from '../../src/store/errors.js';
import type {
  AuditEntry,
  OutboxDelivery,
  StepWrite,
  StoredVerification,
  VerificationStore,
} from '../../src/store/types.js';

type OutboxEntryInput = StepWrite['outbox'][number];

import { auditRow, firstWrite, newId, nextVersion, storedVerification } from '../support/storeRecords.js';

export interface StoreFactory {
  /** A fresh, migrated, empty store. */
  open(): Promise<VerificationStore>;
  /** A second handle on the same data (another process would open one), when the store has such a thing. */
  openAnother?(store: VerificationStore): Promise<VerificationStore>;
  /** Adds a nullable column to each of the store's tables, as a later release's additive migration would. */
  addColumns?(store: VerificationStore): Promise<void>;
  /** The ids of every outbox entry of `verificationId` the store holds, those it would never offer included. */
  outboxIds(store: VerificationStore, verificationId: string): Promise<string[]>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The first effect a step of `version` decided on. */
const effectOf = (id: string, version: number, delivery: OutboxDelivery = 'at-least-once'): OutboxEntryInput => ({
  id: `${id}/${version}/0`,
  verificationId: id,
  delivery,
  payload: {},
  createdAt: 0,
});

export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`${name}: the verification store contract`, () => {
    const withStore = async (test: (store: VerificationStore) => Promise<void>) => {
      const store = await factory.open();
      try {
        await test(store);
      } finally {
        await store.close();
      }
    };

    it('migrating twice is harmless', () =>
      withStore(async (store) => {
        await store.migrate();
        await store.migrate();
      }));

    it('keeps what was created, as JSON, and refuses the same id twice', () =>
      withStore(async (store) => {
        const id = newId();
        const verification = storedVerification(id);
        await store.create(firstWrite(verification));
        expect(await store.read(id)).toEqual(verification);
        await expect(store.create(firstWrite(verification))).rejects.toBeInstanceOf(DuplicateVerificationError);
        expect(await store.read(newId())).toBeNull();
      }));

    it('a new verification starts at version 1', () =>
      withStore(async (store) => {
        const id = newId();
        await expect(store.create(firstWrite(storedVerification(id, { version: 2 })))).rejects.toBeInstanceOf(
          StaleWriteError,
        );
        expect(await store.read(id)).toBeNull();
      }));

    it('a step sees the verification, the time, and writes the next version', () =>
      withStore(async (store) => {
        const id = newId();
        await store.create(firstWrite(storedVerification(id)));
        const before = await store.now();
        const seen = await store.withVerification(id, null, async ({ verification, now }) => {
          expect(now).toBeGreaterThanOrEqual(before - 1);
          if (verification === null) throw new Error('missing');
          return {
            write: { verification: nextVersion(verification, { dueAt: 40_000 }), audit: [], outbox: [] },
            value: verification.version,
          };
        });
        expect(seen).toBe(1);
        expect((await store.read(id))?.version).toBe(2);
        expect((await store.read(id))?.dueAt).toBe(40_000);
      }));

    it('an unknown id reaches the step as null', () =>
      withStore(async (store) => {
        const value = await store.withVerification(newId(), 'key', async ({ verification, storedAnswer }) => ({
          write: null,
          value: [verification, storedAnswer],
        }));
        expect(value).toEqual([null, null]);
      }));

    it('a write over the wrong version is refused whole: no audit, no outbox, no binding', () =>
      withStore(async (store) => {
        const id = newId();
        await store.create(firstWrite(storedVerification(id)));
        await expect(
          store.withVerification(id, 'k', async ({ verification }) => ({
            write: {
              verification: { ...(verification as StoredVerification), version: 5 },
              audit: [auditRow(id, 'lost')],
              outbox: [{ id: `${id}/5/0`, verificationId: id, delivery: 'at-least-once', payload: {}, createdAt: 0 }],
              bindings: [{ kind: 'token', key: `t-${id}` }],
              answer: { key: 'k', value: 'lost' },
            },
            value: null,
          })),
        ).rejects.toBeInstanceOf(StaleWriteError);
        expect((await store.read(id))?.version).toBe(1);
        expect((await store.readAudit({ verificationId: id })).map((row) => row.what)).toEqual(['start']);
        expect(await store.findOutbox(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 100)).not.toContainEqual(
          expect.objectContaining({ verificationId: id }),
        );
        expect(await store.findBinding({ kind: 'token', key: `t-${id}` })).toBeNull();
        const answer = await store.withVerification(id, 'k', async ({ storedAnswer }) => ({
          write: null,
          value: storedAnswer,
        }));
        expect(answer).toBeNull();
      }));

    it('a step that throws writes nothing', () =>
      withStore(async (store) => {
        const id = newId();
        await store.create(firstWrite(storedVerification(id)));
        await expect(
          store.withVerification(id, null, async () => {
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect((await store.read(id))?.version).toBe(1);
      }));

    it('steps of one verification run one at a time, each seeing the one before', () =>
      withStore(async (store) => {
        const id = newId();
        await store.create(firstWrite(storedVerification(id)));
        const other = factory.openAnother === undefined ? store : await factory.openAnother(store);
        try {
          const order: string[] = [];
          const step = (target: VerificationStore, label: string) =>
            target.withVerification(id, null, async ({ verification }) => {
              order.push(`${label} reads ${verification?.version}`);
              await pause(30);
              order.push(`${label} writes`);
              return {
                write: { verification: nextVersion(verification as StoredVerification), audit: [], outbox: [] },
                value: null,
              };
            });
          await Promise.all([step(store, 'a'), step(other, 'b')]);
          expect(order).toHaveLength(4);
          expect(order[1]).toMatch(/writes$/);
          expect(
            order
              .filter((line) => line.includes('reads'))
              .map((line) => line.slice(-1))
              .sort(),
          ).toEqual(['1', '2']);
          expect((await store.read(id))?.version).toBe(3);
        } finally {
          if (other !== store) await other.close();
        }
      }));

    it('a step reads the time once it holds the lock: one that waited sees the wait', () =>
      withStore(async (store) => {
        const id = newId();
        await store.create(firstWrite(storedVerification(id)));
        const other = factory.openAnother === undefined ? store : await factory.openAnother(store);
        try {
          const seen: Record<string, number> = {};
          const step = (target: VerificationStore, label: string, holdMs: number) =>
            target.withVerification(id, null, async ({ verification, now }) => {
              seen[label] = now;
              await pause(holdMs);
              return {
                write: { verification: nextVersion(verification as StoredVerification), audit: [], outbox: [] },
                value: null,
              };
            });
          const first = step(store, 'first', 150);
          await pause(20);
          await Promise.all([first, step(other, 'second', 0)]);
          expect((seen.second ?? 0) - (seen.first ?? 0)).toBeGreaterThanOrEqual(140);
        } finally {
          if (other !== store) await other.close();
        }
      }));

    it('a retried input that waited for the lock sees the answer the step before it stored', () =>
      withStore(async (store) => {
        const id = newId();
        const key = 'status:CA1:3';
        await store.create(firstWrite(storedVerification(id)));
        const other = factory.openAnother === undefined ? store : await factory.openAnother(store);
        try {
          const seen: Record<string, string | null> = {};
          const step = (target: VerificationStore, label: string, holdMs: number) =>
            target.withVerification(id, key, async ({ verification, storedAnswer }) => {
              seen[label] = storedAnswer;
              if (storedAnswer !== null) return { write: null, value: storedAnswer };
              await pause(holdMs);
              return {
                write: {
                  verification: nextVersion(verification as StoredVerification),
                  audit: [],
                  outbox: [],
                  answer: { key, value: '<Response/>' },
                },
                value: 'handled',
              };
            });
          const first = step(store, 'first', 150);
          await pause(20);
          expect(await Promise.all([first, step(other, 'second', 0)])).toEqual(['handled', '<Response/>']);
          expect(seen).toEqual({ first: null, second: '<Response/>' });
          expect((await store.read(id))?.version).toBe(2);
        } finally {
          if (other !== store) await other.close();
        }
      }));

    it('a finished verification keeps no deadline, whatever the step wrote, and is never swept', () =>
      withStore(async (store) => {
        const base = (await store.now()) - 1_000_000;
        const id = newId();
        await store.create(firstWrite(storedVerification(id, { dueAt: base })));
        await store.withVerification(id, null, async ({ verification }) => ({
          write: {
            verification: nextVersion(verification as StoredVerification, {
              status: 'finished',
              dueAt: base + 5,
              result: { status: 'approved' },
            }),
            audit: [],
            outbox: [],
          },
          value: null,
        }));
        expect(await store.read(id)).toMatchObject({ status: 'finished', dueAt: null, result: { status: 'approved' } });
        expect(await store.claimDue(base + 10_000_000, 1_000, 1_000)).not.toContain(id);
      }));

    it('a fractional clock reading is stored as whole milliseconds: a deadline rounded up, never early; a time of record rounded down', () =>
      withStore(async (store) => {
        const id = newId();
        const first = storedVerification(id, { dueAt: 30_000.25, createdAt: 10.75, updatedAt: 10.75 });
        await store.create(
          firstWrite(first, {
            audit: [auditRow(id, 'start', 10.75)],
            outbox: [{ id: `${id}/1/0`, verificationId: id, delivery: 'at-least-once', payload: {}, createdAt: 10.75 }],
          }),
        );
        expect(await store.read(id)).toMatchObject({ dueAt: 30_001, createdAt: 10, updatedAt: 10 });
        await store.withVerification(id, null, async ({ verification }) => ({
          write: {
            verification: nextVersion(verification as StoredVerification, { dueAt: 40_000.5, updatedAt: 20.5 }),
            audit: [auditRow(id, 'call.answered', 20.5)],
            outbox: [],
          },
          value: null,
        }));
        expect(await store.read(id)).toMatchObject({ version: 2, dueAt: 40_001, createdAt: 10, updatedAt: 20 });
        expect((await store.readAudit({ verificationId: id })).map((row) => [row.what, row.at])).toEqual([
          ['start', 10],
          ['call.answered', 20],
        ]);
        const far = Number.MAX_SAFE_INTEGER;
        const effects = (await store.findOutbox(far, far, 1_000)).filter((entry) => entry.verificationId === id);
        expect(effects.map((entry) => entry.createdAt)).toEqual([10]);
        expect(await store.claimDue(40_000, 10_000, 1_000)).not.toContain(id);
        expect(await store.claimDue(40_001, 10_000, 1_000)).toContain(id);
      }));

    it('a stored answer comes back for the same idempotency key only', () =>
      withStore(async (store) => {
        const id = newId();
        await store.create(firstWrite(storedVerification(id)));
        await store.withVerification(id, 'status:CA1:3', async ({ verification }) => ({
          write: {
            verification: nextVersion(verification as StoredVerification),
            audit: [],
            outbox: [],
            answer: { key: 'status:CA1:3', value: '<Response/>' },
          },
          value: null,
        }));
        const again = await store.withVerification(id, 'status:CA1:3', async ({ storedAnswer }) => ({
          write: null,
          value: storedAnswer,
        }));
        const other = await store.withVerification(id, 'status:CA1:4', async ({ storedAnswer }) => ({
          write: null,
          value: storedAnswer,
        }));
        expect([again, other]).toEqual(['<Response/>', null]);
      }));

    it('an idempotency key holding a NUL (a provider took it from an untrusted header) keeps its answer, alike in every store', () =>
      withStore(async (store) => {
        const id = newId();
        const key = 'retry:\u0000:1';
        await store.create(firstWrite(storedVerification(id)));
        await store.withVerification(id, key, async ({ verification, storedAnswer }) => ({
          write: {
            verification: nextVersion(verification as StoredVerification),
            audit: [],
            outbox: [],
            answer: { key, value: storedAnswer ?? '<Response/>' },
          },
          value: null,
        }));
        const again = await store.withVerification(id, key, async ({ storedAnswer }) => ({
          write: null,
          value: storedAnswer,
        }));
        expect(again).toBe('<Response/>');
      }));

    it('a lookup by an id or a key holding a NUL (from an untrusted webhook) finds nothing, alike in every store', () =>
      withStore(async (store) => {
        expect(await store.read('v\u0000')).toBeNull();
        expect(await store.findBinding({ kind: 'twilio-call', key: 'CA\u0000' })).toBeNull();
        expect(await store.findBinding({ kind: 'twilio\u0000', key: 'CA1' })).toBeNull();
        expect(await store.readAudit({ verificationId: 'v\u0000' })).toEqual([]);
      }));

    it('bindings lead webhooks to their verification', () =>
      withStore(async (store) => {
        const id = newId();
        await store.create(firstWrite(storedVerification(id), { bindings: [{ kind: 'token', key: `tok-${id}` }] }));
        await store.withVerification(id, null, async ({ verification }) => ({
          write: {
            verification: nextVersion(verification as StoredVerification),
            audit: [],
            outbox: [],
            bindings: [{ kind: 'call', key: `CA-${id}` }],
          },
          value: null,
        }));
        expect(await store.findBinding({ kind: 'token', key: `tok-${id}` })).toBe(id);
        expect(await store.findBinding({ kind: 'call', key: `CA-${id}` })).toBe(id);
        expect(await store.findBinding({ kind: 'call', key: `tok-${id}` })).toBeNull();
      }));

    it('due verifications are claimed earliest first, by one sweeper at a time, and never once finished', () =>
      withStore(async (store) => {
        const base = (await store.now()) - 1_000_000;
        const ids = [newId(), newId(), newId(), newId()];
        await store.create(firstWrite(storedVerification(ids[0] as string, { dueAt: base + 300 })));
        await store.create(firstWrite(storedVerification(ids[1] as string, { dueAt: base + 100 })));
        await store.create(firstWrite(storedVerification(ids[2] as string, { dueAt: base + 200, status: 'finished' })));
        await store.create(firstWrite(storedVerification(ids[3] as string, { dueAt: base + 10_000_000 })));
        const now = base + 1_000;
        const mine = (list: string[]) => list.filter((id) => ids.includes(id));
        const [first, second] = await Promise.all([store.claimDue(now, 1, 5_000), store.claimDue(now, 1, 5_000)]);
        const claimed = [...mine(first ?? []), ...mine(second ?? [])];
        expect(new Set(claimed).size).toBe(claimed.length);
        const rest = mine(await store.claimDue(now, 10, 5_000));
        expect([...claimed, ...rest].sort()).toEqual([ids[0], ids[1]].sort());
        expect(mine(await store.claimDue(now, 10, 5_000))).toEqual([]);
        // Once the claim ends they are due again; earliest first.
        expect(mine(await store.claimDue(now + 6_000, 10, 5_000))).toEqual([ids[1], ids[0]]);
      }));

    it('a commit ends the claim on its verification', () =>
      withStore(async (store) => {
        const base = (await store.now()) - 1_000_000;
        const id = newId();
        await store.create(firstWrite(storedVerification(id, { dueAt: base })));
        expect(await store.claimDue(base + 10, 100, 60_000)).toContain(id);
        await store.withVerification(id, null, async ({ verification }) => ({
          write: {
            verification: nextVersion(verification as StoredVerification, { dueAt: base + 5 }),
            audit: [],
            outbox: [],
          },
          value: null,
        }));
        expect(await store.claimDue(base + 10, 100, 60_000)).toContain(id);
      }));

    it('the outbox: an at-most-once entry starts once ever, an at-least-once one again after its lease', () =>
      withStore(async (store) => {
        const id = newId();
        const t0 = (await store.now()) - 1_000_000;
        await store.create(
          firstWrite(storedVerification(id), {
            outbox: [
              { id: `${id}/1/0`, verificationId: id, delivery: 'at-most-once', payload: { dial: 0 }, createdAt: t0 },
              {
                id: `${id}/1/1`,
                verificationId: id,
                delivery: 'at-least-once',
                payload: { hangUp: 'CA1' },
                createdAt: t0,
              },
            ],
          }),
        );
        const pending = (now: number) =>
          store.findOutbox(now, now - 50, 100).then((list) => list.filter((e) => e.verificationId === id));
        expect((await pending(t0 + 100)).map((e) => [e.id, e.payload, e.tries])).toEqual([
          [`${id}/1/0`, { dial: 0 }, 0],
          [`${id}/1/1`, { hangUp: 'CA1' }, 0],
        ]);
        // Too young to be taken over by a sweeper.
        expect(await pending(t0 + 10)).toEqual([]);

        expect(await store.startOutbox(`${id}/1/0`, t0 + 100, 1_000)).toBe(true);
        expect(await store.startOutbox(`${id}/1/0`, t0 + 100, 1_000)).toBe(false);
        expect(await store.startOutbox(`${id}/1/0`, t0 + 10_000, 1_000)).toBe(false);
        expect(await store.startOutbox(`${id}/1/1`, t0 + 100, 1_000)).toBe(true);
        expect(await store.startOutbox(`${id}/1/1`, t0 + 500, 1_000)).toBe(false);
        // The at-least-once entry's holder died: after its lease, a sweeper may take it.
        expect((await pending(t0 + 2_000)).map((e) => [e.id, e.tries])).toEqual([[`${id}/1/1`, 1]]);
        expect(await store.startOutbox(`${id}/1/1`, t0 + 2_000, 1_000)).toBe(true);
        await store.finishOutbox(`${id}/1/1`);
        await store.finishOutbox(`${id}/1/0`);
        expect(await pending(t0 + 100_000)).toEqual([]);
        expect(await store.startOutbox(`${id}/1/1`, t0 + 100_000, 1_000)).toBe(false);
      }));

    it('entries are offered longest free first: one whose lease just ended goes behind one that waited longer, so that failing ones cannot starve the rest', () =>
      withStore(async (store) => {
        const id = newId();
        const t0 = (await store.now()) - 1_000_000;
        const entry = (n: number, createdAt: number) => ({
          id: `${id}/1/${n}`,
          verificationId: id,
          delivery: 'at-least-once' as const,
          payload: { n },
          createdAt,
        });
        await store.create(
          firstWrite(storedVerification(id), { outbox: [entry(0, t0), entry(1, t0 + 10), entry(2, t0 + 20)] }),
        );
        const offered = (now: number) =>
          store
            .findOutbox(now, now - 50, 1_000)
            .then((list) => list.filter((e) => e.verificationId === id).map((e) => e.id));
        expect(await offered(t0 + 100)).toEqual([`${id}/1/0`, `${id}/1/1`, `${id}/1/2`]);
        // The oldest one was tried and failed: free again from t0 + 1 100, after the two never tried.
        expect(await store.startOutbox(`${id}/1/0`, t0 + 100, 1_000)).toBe(true);
        expect(await offered(t0 + 2_000)).toEqual([`${id}/1/1`, `${id}/1/2`, `${id}/1/0`]);
        // Tried again and again, it keeps going behind; the next one tried goes behind it in turn.
        expect(await store.startOutbox(`${id}/1/0`, t0 + 2_000, 1_000)).toBe(true);
        expect(await store.startOutbox(`${id}/1/1`, t0 + 2_500, 1_000)).toBe(true);
        expect(await offered(t0 + 4_000)).toEqual([`${id}/1/2`, `${id}/1/0`, `${id}/1/1`]);
      }));

    it('a held entry is not offered as left until its hold ends; holding a started one changes nothing', () =>
      withStore(async (store) => {
        const id = newId();
        const t0 = (await store.now()) - 1_000_000;
        const entry = (n: number, delivery: 'at-most-once' | 'at-least-once') => ({
          id: `${id}/1/${n}`,
          verificationId: id,
          delivery,
          payload: { n },
          createdAt: t0,
        });
        await store.create(
          firstWrite(storedVerification(id), {
            outbox: [entry(0, 'at-least-once'), entry(1, 'at-most-once'), entry(2, 'at-most-once')],
          }),
        );
        const pending = (now: number) =>
          store
            .findOutbox(now, now - 50, 100)
            .then((list) => list.filter((e) => e.verificationId === id).map((e) => e.id));
        expect(await store.startOutbox(`${id}/1/0`, t0 + 100, 1_000)).toBe(true);
        await store.holdOutbox([`${id}/1/0`, `${id}/1/1`, `${id}/1/2`, `${id}/9/9`], t0 + 5_000);
        // The started entry keeps its own lease; the two waiting behind it are held.
        expect(await pending(t0 + 4_999)).toEqual([`${id}/1/0`]);
        expect(await pending(t0 + 5_001)).toEqual([`${id}/1/0`, `${id}/1/1`, `${id}/1/2`]);
        // A hold does not keep its holder from starting the entry, and a started at-most-once one is never offered.
        expect(await store.startOutbox(`${id}/1/1`, t0 + 200, 1_000)).toBe(true);
        expect(await pending(t0 + 5_001)).toEqual([`${id}/1/0`, `${id}/1/2`]);
      }));

    it('a step drops pending effects it made pointless, but not one already started', () =>
      withStore(async (store) => {
        const id = newId();
        const t0 = (await store.now()) - 1_000_000;
        await store.create(
          firstWrite(storedVerification(id), {
            outbox: [
              { id: `${id}/1/0`, verificationId: id, delivery: 'at-most-once', payload: 'a', createdAt: t0 },
              { id: `${id}/1/1`, verificationId: id, delivery: 'at-most-once', payload: 'b', createdAt: t0 },
            ],
          }),
        );
        expect(await store.startOutbox(`${id}/1/1`, t0, 60_000)).toBe(true);
        await store.withVerification(id, null, async ({ verification }) => ({
          write: {
            verification: nextVersion(verification as StoredVerification),
            audit: [],
            outbox: [],
            dropOutbox: [`${id}/1/0`, `${id}/1/1`],
          },
          value: null,
        }));
        expect(await store.startOutbox(`${id}/1/0`, t0, 60_000)).toBe(false);
        const left = (await store.findOutbox(t0 + 10_000_000, t0 + 10_000_000, 100)).filter(
          (e) => e.verificationId === id,
        );
        expect(left).toEqual([]);
      }));

    it('the write that finishes a verification removes its at-most-once effects that were started and never finished', () =>
      withStore(async (store) => {
        const id = newId();
        const t0 = (await store.now()) - 1_000_000;
        const dial = { ...effectOf(id, 1, 'at-most-once'), createdAt: t0 };
        const hangUp = { ...effectOf(id, 1, 'at-least-once'), id: `${id}/1/1`, createdAt: t0 };
        await store.create(firstWrite(storedVerification(id), { outbox: [dial, hangUp] }));
        // The instance that started both was stopped during the calls: neither was finished.
        expect(await store.startOutbox(dial.id, t0, 1_000)).toBe(true);
        expect(await store.startOutbox(hangUp.id, t0, 1_000)).toBe(true);
        const step = (changes: Partial<StoredVerification>, outbox: OutboxEntryInput[]) =>
          store.withVerification(id, null, async ({ verification }) => ({
            write: { verification: nextVersion(verification as StoredVerification, changes), audit: [], outbox },
            value: null,
          }));
        // While the verification goes on, the started dial stays (its instance may yet finish it).
        await step({}, []);
        expect((await factory.outboxIds(store, id)).sort()).toEqual([dial.id, hangUp.id].sort());
        const finalHangUp = { ...effectOf(id, 3), createdAt: t0 };
        await step({ status: 'finished', result: { status: 'expired' } }, [finalHangUp]);
        // An at-least-once effect is still retried after its lease, and the finishing step's own effects are to run.
        expect((await factory.outboxIds(store, id)).sort()).toEqual([hangUp.id, finalHangUp.id].sort());
      }));

    it('the audit log is appended in order and read per verification', () =>
      withStore(async (store) => {
        const id = newId();
        const otherId = newId();
        await store.create(firstWrite(storedVerification(id)));
        await store.create(firstWrite(storedVerification(otherId)));
        await store.withVerification(id, null, async ({ verification }) => ({
          write: {
            verification: nextVersion(verification as StoredVerification),
            audit: [
              { ...auditRow(id, 'call.answered', 5), replayed: true },
              {
                ...auditRow(id, 'no-response', 6),
                kind: 'attempt',
                result: 'no-response',
                legacyCode: 'SUCCESS_NO_PIN_BUT_TIMEOUT',
              },
            ],
            outbox: [],
          },
          value: null,
        }));
        const rows = await store.readAudit({ verificationId: id });
        expect(rows.map((row) => [row.what, row.at, row.replayed])).toEqual([
          ['start', 0, false],
          ['call.answered', 5, true],
          ['no-response', 6, false],
        ]);
        expect(rows[2]).toEqual({
          ...auditRow(id, 'no-response', 6),
          kind: 'attempt',
          result: 'no-response',
          legacyCode: 'SUCCESS_NO_PIN_BUT_TIMEOUT',
        });
        expect((await store.readAudit({ verificationId: otherId })).map((row) => row.what)).toEqual(['start']);
      }));

    it('a NUL or half a surrogate pair from an untrusted webhook is kept as it came in JSON values and written as U+FFFD in the audit log, alike in every store', () =>
      withStore(async (store) => {
        const id = newId();
        const code = 'E\u0000X\uD800';
        const failed = (at: number): AuditEntry => ({
          ...auditRow(id, 'failed', at),
          kind: 'attempt',
          result: 'failed',
          reason: code,
        });
        const effect = (version: number) => ({
          id: `${id}/${version}/0`,
          verificationId: id,
          delivery: 'at-least-once' as const,
          payload: { hangUp: code },
          createdAt: 0,
        });
        const first = storedVerification(id, { snapshot: { providerCode: code }, provider: { [code]: [code] } });
        await store.create(firstWrite(first, { audit: [failed(1)], outbox: [effect(1)] }));
        const second = nextVersion(first, { result: { attempts: [{ providerCode: code }] } });
        await store.withVerification(id, null, async () => ({
          write: { verification: second, audit: [failed(2)], outbox: [effect(2)] },
          value: null,
        }));
        expect(await store.read(id)).toEqual(second);
        const audit = await store.readAudit({ verificationId: id });
        expect(audit.map((row) => row.reason)).toEqual(['E\uFFFDX\uFFFD', 'E\uFFFDX\uFFFD']);
        expect(audit[1]).toEqual({ ...failed(2), reason: 'E\uFFFDX\uFFFD' });
        const far = Number.MAX_SAFE_INTEGER;
        const effects = (await store.findOutbox(far, far, 1_000)).filter((entry) => entry.verificationId === id);
        expect(effects.map((entry) => entry.payload)).toEqual([{ hangUp: code }, { hangUp: code }]);
      }));

    it('the audit log is read up to a limit; a limit that is not a whole number from 1 up is refused alike by every store', () =>
      withStore(async (store) => {
        const id = newId();
        await store.create(
          firstWrite(storedVerification(id), { audit: ['a', 'b', 'c'].map((what) => auditRow(id, what)) }),
        );
        expect((await store.readAudit({ verificationId: id, limit: 2 })).map((row) => row.what)).toEqual(['a', 'b']);
        expect(await store.readAudit({ verificationId: id, limit: 5 })).toHaveLength(3);
        for (const limit of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, '2' as unknown as number]) {
          const refused = await store.readAudit({ verificationId: id, limit }).catch((error: unknown) => error);
          expect(refused, `limit ${String(limit)}`).toBeInstanceOf(InvalidRequestError);
          expect((refused as InvalidRequestError).issues.map((issue) => issue.path)).toEqual(['filter.limit']);
        }
        const badId = await store
          .readAudit({ verificationId: 7 as unknown as string })
          .catch((error: unknown) => error);
        expect((badId as InvalidRequestError).issues.map((issue) => issue.path)).toEqual(['filter.verificationId']);
        // A misspelt id would read every verification's rows: refused, naming the field meant.
        const misspelt = await store
          .readAudit({ verificationID: id } as unknown as { verificationId: string })
          .catch((error: unknown) => error);
        expect((misspelt as InvalidRequestError).issues).toEqual([
          { path: 'filter.verificationID', message: 'unknown option; did you mean verificationId?' },
        ]);
      }));

    /**
     * Reads pages of `limit` from `after` until `wanted` rows of `ids` came, as a reader that follows the log does:
     * on PostgreSQL a row joins the pages once every transaction older than its own has ended, and other test
     * files' transactions run on the same server. Returns those rows as `<id>:<what>`, every page's `next` and
     * the last one.
     */
    const FOLLOW_TIMEOUT_MS = 60_000;
    const pageUntil = async (
      store: VerificationStore,
      request: { after?: string; limit: number; verificationId?: string },
      ids: readonly string[],
      wanted: number,
    ) => {
      const rows: string[] = [];
      const places: string[] = [];
      let after = request.after;
      const giveUpAt = Date.now() + 25_000;
      while (rows.length < wanted && Date.now() < giveUpAt) {
        const page = await store.readAuditPage({ ...request, after });
        expect(page.entries.length).toBeLessThanOrEqual(request.limit);
        for (const entry of page.entries) {
          if (ids.includes(entry.verificationId)) rows.push(`${entry.verificationId}:${entry.what}`);
        }
        places.push(page.next);
        if (page.entries.length === 0) {
          expect(page.next, 'a page without rows gives back its place').toBe(after ?? page.next);
          await pause(20);
        }
        after = page.next;
      }
      return { rows, places, next: after };
    };

    it(
      'the audit log is read a page at a time: every row once, in the order written, of all verifications or of one',
      () =>
        withStore(async (store) => {
          const [a, b] = [newId(), newId()];
          const first = storedVerification(a);
          await store.create(firstWrite(first, { audit: ['a1', 'a2', 'a3'].map((what) => auditRow(a, what)) }));
          await store.create(
            firstWrite(storedVerification(b), { audit: ['b1', 'b2'].map((what) => auditRow(b, what)) }),
          );
          await store.withVerification(a, null, async () => ({
            write: { verification: nextVersion(first), audit: [auditRow(a, 'a4')], outbox: [] },
            value: null,
          }));
          const inOrder = ['a1', 'a2', 'a3', 'b1', 'b2', 'a4'].map((what) => `${what.startsWith('a') ? a : b}:${what}`);
          for (const limit of [1, 2, 4, 10_000]) {
            const all = await pageUntil(store, { limit }, [a, b], inOrder.length);
            expect(all.rows, `limit ${limit}`).toEqual(inOrder);
          }
          const ofA = await pageUntil(store, { limit: 3, verificationId: a }, [a, b], 4);
          expect(ofA.rows).toEqual(inOrder.filter((row) => row.startsWith(`${a}:`)));
          // Caught up: the next page is empty and keeps the place; what is written next comes from there.
          const caughtUp = await store.readAuditPage({ after: ofA.next, limit: 3, verificationId: a });
          expect(caughtUp).toEqual({ entries: [], next: ofA.next });
          await store.withVerification(a, null, async () => ({
            write: { verification: nextVersion(nextVersion(first)), audit: [auditRow(a, 'a5')], outbox: [] },
            value: null,
          }));
          const more = await pageUntil(store, { after: ofA.next, limit: 3, verificationId: a }, [a], 1);
          expect(more.rows).toEqual([`${a}:a5`]);
          const [entry] = (await store.readAuditPage({ after: ofA.next, limit: 1, verificationId: a })).entries;
          expect(entry).toEqual(auditRow(a, 'a5'));
        }),
      FOLLOW_TIMEOUT_MS,
    );

    it(
      'a place in the audit log is never given again: rows written after every row before it was purged still come after it',
      () =>
        withStore(async (store) => {
          const old = newId();
          await store.create(firstWrite(storedVerification(old), { audit: [auditRow(old, 'old', 5)] }));
          const read = await pageUntil(store, { limit: 10_000 }, [old], 1);
          let end = read.next as string;
          for (;;) {
            const page = await store.readAuditPage({ after: end, limit: 10_000 });
            if (page.entries.length === 0) break;
            end = page.next;
          }
          // Every row goes, the newest too: the place of the last row read was its number.
          while ((await store.purgeAudit(Number.MAX_SAFE_INTEGER, 10_000)) > 0);
          const id = newId();
          await store.create(
            firstWrite(storedVerification(id), { audit: ['n1', 'n2'].map((what) => auditRow(id, what)) }),
          );
          const after = await pageUntil(store, { after: end, limit: 1 }, [id], 2);
          expect(after.rows).toEqual([`${id}:n1`, `${id}:n2`]);
        }),
      FOLLOW_TIMEOUT_MS,
    );

    it('a page request that is not { after?, limit, verificationId? } is refused alike by every store', () =>
      withStore(async (store) => {
        const refusedPaths = (request: unknown) =>
          store.readAuditPage(request as { limit: number }).then(
            () => [],
            (error: unknown) => {
              expect(error).toBeInstanceOf(InvalidRequestError);
              return (error as InvalidRequestError).issues.map((issue) => issue.path);
            },
          );
        for (const limit of [0, -1, 2.5, 10_001, Number.NaN, '2', undefined]) {
          expect(await refusedPaths({ limit }), `limit ${String(limit)}`).toEqual(['request.limit']);
        }
        for (const after of ['', 'x', '-1', '1e3', ' 1', '01', '1.2.3.4', '1..2', 7, null]) {
          expect(await refusedPaths({ after, limit: 1 }), `after ${JSON.stringify(after)}`).toEqual(['request.after']);
        }
        expect(await refusedPaths({ limit: 1, verificationId: 7 })).toEqual(['request.verificationId']);
        expect(await refusedPaths({ limit: 1, verificationID: 'v' })).toEqual(['request.verificationID']);
        expect(await refusedPaths(null)).toEqual(['request']);
        // A place a page gave is taken back.
        const { next } = await store.readAuditPage({ limit: 1 });
        expect(await refusedPaths({ after: next, limit: 1 })).toEqual([]);
      }));

    /** Clock readings of the retention tests: later than any other test's records, which they purge first. */
    const T = 1_000_000_000_000;
    const drain = async (purge: () => Promise<number>): Promise<void> => {
      while ((await purge()) > 0);
    };
    const answerOf = (store: VerificationStore, id: string, key: string) =>
      store.withVerification(id, key, async ({ storedAnswer }) => ({ write: null, value: storedAnswer }));

    it('purgeFinished removes finished verifications last written before the time, with their answers, bindings and outbox entries, and nothing of the others; active ones stay whatever their age', () =>
      withStore(async (store) => {
        await drain(() => store.purgeFinished(T, 10_000));
        /** A verification with a binding, an answer and an effect in each of its two steps. */
        const make = async (id: string, finishedAt: number | null) => {
          const first = storedVerification(id, { createdAt: T, updatedAt: T });
          await store.create(
            firstWrite(first, {
              outbox: [effectOf(id, 1, 'at-most-once')],
              bindings: [{ kind: 'token', key: `t-${id}` }],
              answer: { key: 'start', value: 'started' },
            }),
          );
          const second =
            finishedAt === null
              ? nextVersion(first)
              : nextVersion(first, {
                  status: 'finished',
                  dueAt: null,
                  result: { status: 'verified' },
                  updatedAt: finishedAt,
                });
          await store.withVerification(id, 'k', async () => ({
            write: {
              verification: second,
              audit: [auditRow(id, 'final', finishedAt ?? T)],
              outbox: [effectOf(id, 2)],
              bindings: [{ kind: 'call', key: `CA-${id}` }],
              answer: { key: 'k', value: 'answered' },
            },
            value: null,
          }));
          return second;
        };
        const [old, young, active] = [newId(), newId(), newId()];
        await make(old, T + 1_000);
        const youngStored = await make(young, T + 5_000);
        const activeStored = await make(active, null);

        expect(await store.purgeFinished(T + 2_000, 100)).toBe(1);
        expect(await store.read(old)).toBeNull();
        expect(await store.findBinding({ kind: 'token', key: `t-${old}` })).toBeNull();
        expect(await store.findBinding({ kind: 'call', key: `CA-${old}` })).toBeNull();
        expect(await factory.outboxIds(store, old)).toEqual([]);
        expect(await answerOf(store, old, 'k')).toBeNull();
        expect(await answerOf(store, old, 'start')).toBeNull();
        // The audit log is kept: it goes by purgeAudit only.
        expect((await store.readAudit({ verificationId: old })).map((row) => row.what)).toEqual(['start', 'final']);
        for (const [id, stored] of [
          [young, youngStored],
          [active, activeStored],
        ] as const) {
          expect(await store.read(id)).toEqual(stored);
          expect(await store.findBinding({ kind: 'token', key: `t-${id}` })).toBe(id);
          expect(await store.findBinding({ kind: 'call', key: `CA-${id}` })).toBe(id);
          expect(await factory.outboxIds(store, id)).toContain(`${id}/2/0`);
          expect(await answerOf(store, id, 'k')).toBe('answered');
        }
        expect(await store.purgeFinished(T + 2_000, 100)).toBe(0);
        // Last written exactly at the time is not before it; a fractional time counts as it reads.
        expect(await store.purgeFinished(T + 5_000, 100)).toBe(0);
        expect(await store.purgeFinished(T + 5_000.5, 100)).toBe(1);
        expect(await store.read(young)).toBeNull();
        expect(await store.purgeFinished(Number.MAX_VALUE, 100)).toBe(0);
        expect(await store.read(active)).toEqual(activeStored);
        expect(await store.findBinding({ kind: 'call', key: `CA-${active}` })).toBe(active);
      }));

    it('a purge during a step on the same verification removes it whole or keeps it whole, never half', () =>
      withStore(async (store) => {
        await drain(() => store.purgeFinished(T, 10_000));
        const id = newId();
        const first = storedVerification(id, { createdAt: T, updatedAt: T });
        await store.create(firstWrite(first, { bindings: [{ kind: 'token', key: `t-${id}` }] }));
        await store.withVerification(id, null, async () => ({
          write: {
            verification: nextVersion(first, { status: 'finished', dueAt: null, result: { status: 'verified' } }),
            audit: [],
            outbox: [],
          },
          value: null,
        }));
        // A late input's step is under way (it read the verification) when the purge comes.
        let purged: Promise<number> | undefined;
        await store.withVerification(id, 'late', async ({ verification }) => {
          purged = store.purgeFinished(T + 1_000, 100);
          await pause(50);
          return {
            write: {
              verification: nextVersion(verification as StoredVerification),
              audit: [],
              outbox: [],
              answer: { key: 'late', value: 'stale' },
            },
            value: null,
          };
        });
        await purged;
        const kept = await store.read(id);
        const binding = await store.findBinding({ kind: 'token', key: `t-${id}` });
        if (kept === null) {
          expect(binding).toBeNull();
          expect(await answerOf(store, id, 'late')).toBeNull();
        } else {
          expect(kept.version).toBe(3);
          expect(binding).toBe(id);
          expect(await answerOf(store, id, 'late')).toBe('stale');
        }
        await drain(() => store.purgeFinished(T + 1_000, 100));
        expect(await store.read(id)).toBeNull();
      }));

    it('purgeFinished removes at most limit verifications a call, oldest first, and repeated calls drain them', () =>
      withStore(async (store) => {
        await drain(() => store.purgeFinished(T, 10_000));
        const ids = [5, 3, 1, 4, 2].map((offset) => {
          const id = newId();
          return { id, offset };
        });
        for (const { id, offset } of ids) {
          await store.create(
            firstWrite(storedVerification(id, { status: 'finished', dueAt: null, updatedAt: T + offset })),
          );
        }
        const left = async () =>
          (await Promise.all(ids.map(async ({ id, offset }) => ((await store.read(id)) === null ? null : offset))))
            .filter((offset) => offset !== null)
            .sort();
        expect(await store.purgeFinished(T + 100, 2)).toBe(2);
        expect(await left()).toEqual([3, 4, 5]);
        expect(await store.purgeFinished(T + 100, 2)).toBe(2);
        expect(await left()).toEqual([5]);
        expect(await store.purgeFinished(T + 100, 2)).toBe(1);
        expect(await store.purgeFinished(T + 100, 2)).toBe(0);
      }));

    it('purgeAudit removes at most limit audit rows recorded before the time, oldest first, and leaves the verification', () =>
      withStore(async (store) => {
        await drain(() => store.purgeAudit(T + 10, 10_000));
        const id = newId();
        const rows = [auditRow(id, 'b', T + 12), auditRow(id, 'a', T + 11), auditRow(id, 'c', T + 13)];
        await store.create(firstWrite(storedVerification(id), { audit: [...rows, auditRow(id, 'late', T + 20)] }));
        expect(await store.purgeAudit(T + 15, 2)).toBe(2);
        expect((await store.readAudit({ verificationId: id })).map((row) => row.what)).toEqual(['c', 'late']);
        expect(await store.purgeAudit(T + 15, 2)).toBe(1);
        expect(await store.purgeAudit(T + 15, 2)).toBe(0);
        expect((await store.readAudit({ verificationId: id })).map((row) => row.what)).toEqual(['late']);
        expect((await store.read(id))?.version).toBe(1);
      }));

    it('purges refuse a time that is not a finite number and a limit that is not a whole number from 1 to 10 000, alike in every store, deleting nothing', () =>
      withStore(async (store) => {
        const id = newId();
        await store.create(
          firstWrite(storedVerification(id, { status: 'finished', dueAt: null, updatedAt: 0 }), {
            audit: [auditRow(id, 'final', 0)],
          }),
        );
        const refusedPaths = async (purge: Promise<number>): Promise<string[]> => {
          const refused = await purge.catch((error: unknown) => error);
          expect(refused).toBeInstanceOf(InvalidRequestError);
          return (refused as InvalidRequestError).issues.map((issue) => issue.path);
        };
        for (const time of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '5' as unknown as number]) {
          expect(await refusedPaths(store.purgeFinished(time, 10))).toEqual(['finishedBefore']);
          expect(await refusedPaths(store.purgeAudit(time, 10))).toEqual(['before']);
        }
        for (const limit of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 10_001, '2' as unknown as number]) {
          expect(await refusedPaths(store.purgeFinished(T, limit))).toEqual(['limit']);
          expect(await refusedPaths(store.purgeAudit(T, limit))).toEqual(['limit']);
        }
        const both = await store.purgeFinished(Number.NaN, 0).catch((error: unknown) => error);
        expect((both as InvalidRequestError).message).toMatch(/finishedBefore: must be a finite time/);
        expect((both as InvalidRequestError).message).toMatch(
          /limit: must be a whole number of verifications from 1 to 10000, not 0/,
        );
        expect((await store.read(id))?.status).toBe('finished');
        expect(await store.readAudit({ verificationId: id })).toHaveLength(1);
      }));

    // Only stores with a schema have columns to add.
    const { addColumns } = factory;
    if (addColumns !== undefined)
      it('a running instance goes on writing every kind of row after a later release added columns (a rolling deploy)', () =>
        withStore(async (store) => {
          const before = newId();
          await store.create(firstWrite(storedVerification(before)));
          await addColumns(store);
          const id = newId();
          const effect = effectOf(id, 1);
          await store.create(
            firstWrite(storedVerification(id), { outbox: [effect], bindings: [{ kind: 'token', key: `t-${id}` }] }),
          );
          await store.withVerification(id, 'k', async ({ verification }) => ({
            write: {
              verification: nextVersion(verification as StoredVerification),
              audit: [auditRow(id, 'call.answered')],
              outbox: [],
              answer: { key: 'k', value: 'answered' },
            },
            value: null,
          }));
          expect(await store.read(id)).toEqual({ ...storedVerification(id), version: 2 });
          expect(await store.findBinding({ kind: 'token', key: `t-${id}` })).toBe(id);
          expect((await store.readAudit({ verificationId: id })).map((row) => row.what)).toEqual([
            'start',
            'call.answered',
          ]);
          const far = Number.MAX_SAFE_INTEGER;
          expect((await store.findOutbox(far, far, 1_000)).map((entry) => entry.id)).toContain(effect.id);
          expect((await store.read(before))?.version).toBe(1);
        }));

    it('a listener that throws neither fails the commit that woke it nor keeps the others from hearing it', () =>
      withStore(async (store) => {
        let woken = 0;
        const stopFirst = store.onWake(() => {
          throw new Error('listener failed');
        });
        const stopSecond = store.onWake(() => woken++);
        const id = newId();
        const effect = effectOf(id, 1);
        await store.create(firstWrite(storedVerification(id), { outbox: [effect] }));
        await store.withVerification(id, null, async ({ verification }) => ({
          write: {
            verification: nextVersion(verification as StoredVerification),
            audit: [],
            outbox: [effectOf(id, 2)],
          },
          value: null,
        }));
        expect((await store.read(id))?.version).toBe(2);
        for (let i = 0; i < 50 && woken < 2; i++) await pause(10);
        expect(woken).toBeGreaterThanOrEqual(2);
        stopFirst();
        stopSecond();
      }));

    it('a commit wakes the listeners', () =>
      withStore(async (store) => {
        let woken = 0;
        const stop = store.onWake(() => woken++);
        const id = newId();
        await store.create(firstWrite(storedVerification(id)));
        for (let i = 0; i < 50 && woken === 0; i++) await pause(10);
        expect(woken).toBeGreaterThan(0);
        stop();
      }));
  });
}
