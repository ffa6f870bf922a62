/**
 * A second (or third) process on the same store, for the multi-process tests:
 * `fork`ed with `--import tsx` and a JSON task as its argument. It says
 * `ready`, waits for `go`, migrates the store, does its task and sends the
 * result.
 *
 * Tasks:
 * - `increment`: `count` steps on `id`, a millisecond apart, each adding one
 *   to `provider.counter` after a pause inside the step, with an audit row
 *   naming the version written;
 * - `hold`: locks `id` and says `holding`, then waits inside the step until killed;
 * - `claim`: claims due verifications `batch` at a time, pausing between
 *   batches as a sweeper stepping them would, until none is left;
 * - `stream`: steps on `id` as fast as it can (an audit row and an outbox entry
 *   each) until killed or told `stop`; `report` asks how many commits fell in a
 *   window of time.
 */
import { PostgresVerificationStore } from '../../src/store/postgres/postgresStore.js';
import { SqliteVerificationStore } from '../../src/store/sqlite/sqliteStore.js';
import type { StoredVerification, VerificationStore } from '../../src/store/types.js';
import { auditRow } from './storeRecords.js';

export type WorkerStore = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string };

export type WorkerTask =
  | { task: 'increment'; store: WorkerStore; id: string; count: number }
  | { task: 'hold'; store: WorkerStore; id: string }
  | { task: 'claim'; store: WorkerStore; batch: number }
  | { task: 'stream'; store: WorkerStore; id: string; snapshotBytes: number };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'holding' }
  | { type: 'done'; claimed?: string[]; steps?: number; ms?: number }
  | { type: 'report'; steps: number; total: number };

export type ParentMessage = { type: 'go' } | { type: 'stop' } | { type: 'report'; from: number; to: number };

const send = (message: WorkerMessage) =>
  new Promise<void>((resolve, reject) =>
    process.send?.(message, undefined, {}, (error) => (error ? reject(error) : resolve())),
  );

function openStore(store: WorkerStore): VerificationStore {
  return store.kind === 'sqlite'
    ? new SqliteVerificationStore({ path: store.path, lockTimeoutMs: 30_000 })
    : new PostgresVerificationStore({ connectionString: store.url, schema: store.schema, lockTimeoutMs: 30_000 });
}

const task = JSON.parse(process.argv[2] ?? '{}') as WorkerTask;
const store = openStore(task.store);
// A worker outlives no test run: when the parent goes, so does it.
process.on('disconnect', () => process.exit(1));
const messages: ParentMessage[] = [];
const waiters = new Set<() => void>();
process.on('message', (message: ParentMessage) => {
  messages.push(message);
  for (const wake of waiters) wake();
});
const next = async (type: ParentMessage['type']): Promise<ParentMessage> => {
  for (;;) {
    const index = messages.findIndex((message) => message.type === type);
    if (index >= 0) return messages.splice(index, 1)[0] as ParentMessage;
    await new Promise<void>((resolve) => {
      const wake = () => {
        waiters.delete(wake);
        resolve();
      };
      waiters.add(wake);
    });
  }
};

const counterOf = (verification: StoredVerification) => (verification.provider as { counter: number }).counter;

/**
 * One step adding one to `provider.counter`, with an audit row whose `attempt`
 * is the version written; `stream` steps also write a snapshot of
 * `snapshotBytes` and an outbox entry.
 */
function countStep(id: string, what: 'increment' | 'stream', padding?: string): Promise<null> {
  return store.withVerification(id, null, async ({ verification, now }) => {
    if (verification === null) throw new Error(`${id} is missing`);
    // A step callback is asynchronous: let the other process try its luck meanwhile.
    if (what === 'increment') await new Promise((resolve) => setImmediate(resolve));
    const version = verification.version + 1;
    return {
      write: {
        verification: {
          ...verification,
          version,
          provider: { counter: counterOf(verification) + 1 },
          ...(padding === undefined ? {} : { snapshot: { padding, version } }),
          updatedAt: now,
        },
        audit: [{ ...auditRow(id, what, now), attempt: version, instance: `pid ${process.pid}` }],
        outbox:
          padding === undefined
            ? []
            : [
                {
                  id: `${id}/${version}/0`,
                  verificationId: id,
                  delivery: 'at-least-once',
                  payload: { version },
                  createdAt: now,
                },
              ],
      },
      value: null,
    };
  });
}

await send({ type: 'ready' });
await next('go');
// Every worker migrates when told to go, so that workers on a fresh store race to create it.
await store.migrate();

if (task.task === 'increment') {
  for (let i = 0; i < task.count; i++) {
    await countStep(task.id, 'increment');
    // Inputs arrive as events, with gaps between them, not in a tight loop.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await send({ type: 'done' });
} else if (task.task === 'hold') {
  await store.withVerification(task.id, null, async () => {
    await send({ type: 'holding' });
    await new Promise(() => {});
    return { write: null, value: null };
  });
} else if (task.task === 'claim') {
  const claimed: string[] = [];
  for (;;) {
    const batch = await store.claimDue(await store.now(), task.batch, 600_000);
    if (batch.length === 0) break;
    claimed.push(...batch);
    // A sweeper steps the verifications it claimed before it claims more.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await send({ type: 'done', claimed });
} else if (task.task === 'stream') {
  const commits: number[] = [];
  let stopped = false;
  const padding = 'x'.repeat(task.snapshotBytes);
  const answerReports = async () => {
    for (;;) {
      const message = await next('report');
      if (message.type !== 'report') continue;
      const steps = commits.filter((at) => at >= message.from && at <= message.to).length;
      await send({ type: 'report', steps, total: commits.length });
    }
  };
  void answerReports();
  void next('stop').then(() => {
    stopped = true;
  });
  const started = Date.now();
  while (!stopped) {
    await countStep(task.id, 'stream', padding);
    commits.push(Date.now());
    // Let messages from the parent in between steps.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await send({ type: 'done', steps: commits.length, ms: Date.now() - started });
}
await store.close();
process.exit(0);
