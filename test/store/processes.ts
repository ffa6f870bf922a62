/**
 * What a store shared by several OS processes guarantees: steps on one
 * verification never interleave and none is lost, a process killed inside a
 * step neither keeps the lock nor leaves half a step, and sweepers in
 * different processes claim different verifications. Run against SQLite (one
 * file) and PostgreSQL (one database).
 */
import { describe, expect, it } from 'vitest';
import type { VerificationStore } from '../../src/store/types.js';
import { StoreProcess } from '../support/storeProcesses.js';
import { firstWrite, newId, nextVersion, stepVersion, storedVerification } from '../support/storeRecords.js';
import type { WorkerStore } from '../support/storeWorker.js';

export interface ProcessStoreFactory {
  /** A new, empty place for a store, as a worker process opens it. */
  place(): WorkerStore;
  /** This process's store on that place, migrated. */
  open(place: WorkerStore): Promise<VerificationStore>;
  /** The versions recorded in the place's schema version table. */
  schemaVersions(place: WorkerStore): Promise<number[]>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function describeStoreAcrossProcesses(name: string, factory: ProcessStoreFactory): void {
  describe(`${name}: several processes on one store`, () => {
    const withStore = async (test: (store: VerificationStore, place: WorkerStore) => Promise<void>) => {
      const place = factory.place();
      const store = await factory.open(place);
      try {
        await test(store, place);
      } finally {
        await store.close();
      }
    };

    it(
      'two processes × 500 steps on one verification: none interleaves, none is lost',
      () =>
        withStore(async (store, place) => {
          const id = newId();
          await store.create(firstWrite(storedVerification(id, { provider: { counter: 0 } })));
          const workers = await Promise.all([
            StoreProcess.start({ task: 'increment', store: place, id, count: 500 }),
            StoreProcess.start({ task: 'increment', store: place, id, count: 500 }),
          ]);
          const started = performance.now();
          for (const worker of workers) worker.send({ type: 'go' });
          await Promise.all(workers.map((worker) => worker.next('done')));
          const seconds = (performance.now() - started) / 1000;
          console.log(`${name}: 1000 contended steps from 2 processes in ${seconds.toFixed(2)} s`);

          const stored = await store.read(id);
          expect(stored?.provider).toEqual({ counter: 1000 });
          expect(stored?.version).toBe(1001);
          const steps = (await store.readAudit({ verificationId: id })).filter((row) => row.what === 'increment');
          // Each step wrote the version after the one it read, in commit order: 2, 3, …, 1001.
          expect(steps.map((row) => row.attempt)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 2));
          const byProcess = new Map<string, number>();
          for (const row of steps) byProcess.set(row.instance, (byProcess.get(row.instance) ?? 0) + 1);
          expect([...byProcess.values()]).toEqual([500, 500]);
          const turns = steps.filter((row, i) => i > 0 && row.instance !== steps[i - 1]?.instance).length;
          console.log(`${name}: the lock changed hands between the processes ${turns} times`);
          expect(turns).toBeGreaterThan(50);
          await Promise.all(workers.map((worker) => worker.exited));
        }),
      120_000,
    );

    it(
      'a process killed while it holds the lock inside a step: the other goes on, the killed step left nothing',
      () =>
        withStore(async (store, place) => {
          const id = newId();
          await store.create(firstWrite(storedVerification(id)));
          const holder = await StoreProcess.start({ task: 'hold', store: place, id });
          holder.send({ type: 'go' });
          await holder.next('holding');

          let seenVersion = 0;
          const waiting = store.withVerification(id, null, async ({ verification }) => {
            seenVersion = verification?.version ?? -1;
            return {
              write: { verification: nextVersion(verification ?? storedVerification(id)), audit: [], outbox: [] },
              value: null,
            };
          });
          let finished = false;
          void waiting.then(() => {
            finished = true;
          });
          await pause(300);
          expect(finished).toBe(false);

          const killedAt = performance.now();
          expect(await holder.kill()).toBe('SIGKILL');
          await waiting;
          console.log(
            `${name}: the lock of a killed process was free after ${Math.round(performance.now() - killedAt)} ms`,
          );
          expect(seenVersion).toBe(1);
          expect((await store.read(id))?.version).toBe(2);
        }),
      60_000,
    );

    it(
      'a process killed at any moment of a stream of steps leaves every step whole',
      () =>
        withStore(async (store, place) => {
          const id = newId();
          await store.create(firstWrite(storedVerification(id, { provider: { counter: 0 } })));
          const streamer = await StoreProcess.start({ task: 'stream', store: place, id, snapshotBytes: 2_000 });
          streamer.send({ type: 'go' });
          await pause(300 + Math.random() * 300);
          await streamer.kill();

          const stored = await store.read(id);
          const version = stored?.version ?? 0;
          expect(version).toBeGreaterThan(10);
          expect(stored?.provider).toEqual({ counter: version - 1 });
          expect(stored?.snapshot).toMatchObject({ version });
          // One audit row and one effect per committed step, no more, no fewer.
          expect(await store.readAudit({ verificationId: id })).toHaveLength(version);
          const effects = (await store.findOutbox(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 1_000_000)).filter(
            (entry) => entry.verificationId === id,
          );
          expect(effects.map((entry) => entry.payload)).toEqual(
            Array.from({ length: version - 1 }, (_, i) => ({ version: i + 2 })),
          );
          // And the verification is free at once.
          await stepVersion(store, id);
          expect((await store.read(id))?.version).toBe(version + 1);
        }),
      60_000,
    );

    it(
      'sweepers in two processes claim different verifications, and all of them',
      () =>
        withStore(async (store, place) => {
          const past = (await store.now()) - 60_000;
          const ids = Array.from({ length: 300 }, () => newId());
          for (const [i, id] of ids.entries()) {
            await store.create(firstWrite(storedVerification(id, { dueAt: past + i })));
          }
          const sweepers = await Promise.all([
            StoreProcess.start({ task: 'claim', store: place, batch: 7 }),
            StoreProcess.start({ task: 'claim', store: place, batch: 7 }),
          ]);
          for (const sweeper of sweepers) sweeper.send({ type: 'go' });
          const [first, second] = await Promise.all(sweepers.map((sweeper) => sweeper.next('done')));
          const claimed = [...(first?.claimed ?? []), ...(second?.claimed ?? [])];
          console.log(`${name}: claims split ${first?.claimed?.length} / ${second?.claimed?.length}`);
          expect(first?.claimed?.length).toBeGreaterThan(0);
          expect(second?.claimed?.length).toBeGreaterThan(0);
          expect(new Set(claimed).size).toBe(claimed.length);
          expect([...claimed].sort()).toEqual([...ids].sort());
        }),
      60_000,
    );
  });
}
