/**
 * Steps per second of each verification store, for a realistic step: lock and
 * read the verification, write a ~2 KB snapshot and the provider's state, two
 * audit rows and an outbox entry, commit; then start and finish that entry, as
 * the service does after the commit. Rounds of each store are interleaved so
 * that whatever else the machine does falls on all of them alike; the median
 * and the range of the rounds are printed, one step at a time and eight at
 * once, with the size of a stored verification.
 *
 * PostgreSQL runs when VOICE_MFA_TEST_POSTGRES_URL is set or PostgreSQL's
 * programs are installed (a throw-away cluster, as in the tests).
 *
 *   node --import tsx bench/stores.ts [rounds] [steps per round]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MemoryVerificationStore } from '../src/store/memoryStore.js';
import { PostgresVerificationStore } from '../src/store/postgres/postgresStore.js';
import { SqliteVerificationStore } from '../src/store/sqlite/sqliteStore.js';
import type { AuditEntry, StoredVerification, VerificationStore } from '../src/store/types.js';
import { findPostgresBinaries, type PostgresCluster, startPostgresCluster } from '../test/support/postgresCluster.js';
import { auditRow } from '../test/support/storeRecords.js';

const ROUNDS = Number(process.argv[2] ?? 7);
const STEPS_PER_ROUND = Number(process.argv[3] ?? 1_000);
const VERIFICATIONS = 200;
const CONCURRENCY = 8;

/** Text that compresses about as badly as real call data, so that PostgreSQL's TOAST does not flatter. */
const NOTES = Array.from({ length: 16 }, () => randomBytes(450).toString('hex'));

/** A persisted machine snapshot of about 2 KB, as XState writes one mid-call. */
function snapshotOf(version: number): StoredVerification['snapshot'] {
  return {
    status: 'active',
    value: { calling: { attempt: 'collectingKeys' } },
    historyValue: {},
    context: {
      now: 1_700_000_000_000 + version,
      attemptIndex: 1,
      targets: [
        { number: '+14255550100', extension: null, callerId: '+14255550199', country: 'US' },
        { number: '+14255550101', extension: '1234', callerId: '+14255550199', country: 'US' },
      ],
      attempts: [
        {
          index: 0,
          number: '+14255550100',
          callId: 'CA0123456789abcdef0123456789abcdef',
          result: 'voicemail',
          sitKind: null,
          sipCode: 200,
          q850Cause: 16,
          times: { dialedAt: 1_700_000_000_000, answeredAt: 1_700_000_004_000, endedAt: 1_700_000_014_000 },
        },
      ],
      deadlines: [
        { kind: 'ring', at: 1_700_000_030_000 + version, attempt: 1 },
        { kind: 'input', at: 1_700_000_040_000 + version, attempt: 1 },
      ],
      keys: { buffer: '', pressed: 0, lastAt: null },
      ignored: { stale: 0, duplicate: 0, malformed: 0, outOfOrder: 0 },
      prompts: { greeting: 'Press the pound key to finish your verification.', repeat: 2, voice: 'alice' },
      notes: NOTES[version % NOTES.length] as string,
    },
    children: {},
  };
}

const audit = (verificationId: string, what: string, at: number): AuditEntry => ({
  ...auditRow(verificationId, what, at),
  instance: 'bench',
});

function verification(id: string, now: number): StoredVerification {
  return {
    id,
    version: 1,
    status: 'active',
    input: { targets: ['+14255550100', '+14255550101'], mode: 'standard', userId: 'alice' },
    snapshot: snapshotOf(1),
    provider: { calls: [{ sid: 'CA0123456789abcdef0123456789abcdef', status: 'in-progress', token: 't'.repeat(32) }] },
    dueAt: now + 30_000,
    result: null,
    userId: 'alice',
    createdAt: now,
    updatedAt: now,
  };
}

/** One realistic step on `id`, then its effect started and finished. */
async function step(store: VerificationStore, id: string, n: number): Promise<void> {
  const effect = await store.withVerification(id, `status:${n}`, async ({ verification: current, now }) => {
    if (current === null) throw new Error(`${id} is missing`);
    const version = current.version + 1;
    const outboxId = `${id}/${version}/0`;
    return {
      write: {
        verification: {
          ...current,
          version,
          snapshot: snapshotOf(version),
          provider: { calls: [{ sid: 'CA0123456789abcdef0123456789abcdef', status: 'in-progress', seq: version }] },
          dueAt: now + 10_000,
          updatedAt: now,
        },
        audit: [audit(id, 'call.digits', now), audit(id, 'deadline.rearmed', now)],
        outbox: [
          { id: outboxId, verificationId: id, delivery: 'at-least-once', payload: { hangUp: 'CA01' }, createdAt: now },
        ],
        answer: { key: `status:${n}`, value: '<Response/>' },
      },
      value: { outboxId, now },
    };
  });
  if (await store.startOutbox(effect.outboxId, effect.now, 30_000)) await store.finishOutbox(effect.outboxId);
}

interface Subject {
  name: string;
  store: VerificationStore;
  ids: string[];
  recordBytes?: () => Promise<string>;
}

async function prepare(name: string, store: VerificationStore, recordBytes?: Subject['recordBytes']): Promise<Subject> {
  await store.migrate();
  const now = await store.now();
  const ids = Array.from({ length: VERIFICATIONS }, (_, i) => `bench-${name}-${i}`);
  for (const id of ids)
    await store.create({ verification: verification(id, now), audit: [audit(id, 'start', now)], outbox: [] });
  return { name, store, ids, recordBytes };
}

let counter = 0;
async function round(subject: Subject, concurrency: number): Promise<number> {
  const started = performance.now();
  const perLane = STEPS_PER_ROUND / concurrency;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      for (let i = 0; i < perLane; i++) {
        // Lanes work on distinct verifications, as independent calls do.
        const id = subject.ids[(lane + i * concurrency) % subject.ids.length] as string;
        await step(subject.store, id, ++counter);
      }
    }),
  );
  return (STEPS_PER_ROUND / (performance.now() - started)) * 1000;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

const folder = mkdtempSync(join(tmpdir(), 'voice-mfa-bench-'));
let cluster: PostgresCluster | null = null;
const subjects: Subject[] = [];
try {
  subjects.push(await prepare('memory', new MemoryVerificationStore()));
  for (const synchronous of ['full', 'normal'] as const) {
    const path = join(folder, `bench-${synchronous}.db`);
    subjects.push(
      await prepare(
        `sqlite (synchronous=${synchronous})`,
        new SqliteVerificationStore({ path, synchronous }),
        async () => {
          const db = new Database(path, { readonly: true });
          try {
            const row = db
              .prepare(
                `SELECT avg(length(input) + length(snapshot) + length(provider) + length(result)) AS json,
                 (SELECT sum(pgsize) FROM dbstat WHERE name = 'verifications') * 1.0 / count(*) AS stored
               FROM verifications`,
              )
              .get() as { json: number; stored: number };
            return `${Math.round(row.json)} B of JSON, ${Math.round(row.stored)} B in the table`;
          } finally {
            db.close();
          }
        },
      ),
    );
  }
  let url = process.env.VOICE_MFA_TEST_POSTGRES_URL ?? null;
  const binaries = url === null ? findPostgresBinaries() : null;
  if (binaries !== null) {
    cluster = await startPostgresCluster(binaries, { durable: true });
    console.log(
      `PostgreSQL ${cluster.version} throw-away cluster (fsync and synchronous_commit on) started in ${Math.round(cluster.startMs)} ms`,
    );
    url = cluster.url;
  }
  if (url !== null) {
    const schema = `bench_${process.pid}`;
    const postgresUrl = url;
    subjects.push(
      await prepare(
        'postgres',
        new PostgresVerificationStore({ connectionString: url, schema, maxConnections: CONCURRENCY }),
        async () => {
          const client = new pg.Client(postgresUrl);
          await client.connect();
          try {
            const { rows } = await client.query(
              `SELECT avg(length(input) + length(snapshot) + length(provider) + length(result))::int AS json,
               avg(pg_column_size(v.*))::int AS stored
             FROM "${schema}".verifications v`,
            );
            return `${rows[0].json} B of JSON, ${rows[0].stored} B per row (compressed by TOAST)`;
          } finally {
            await client.query(`DROP SCHEMA "${schema}" CASCADE`);
            await client.end();
          }
        },
      ),
    );
  } else {
    console.log('PostgreSQL not measured: install it or set VOICE_MFA_TEST_POSTGRES_URL');
  }

  console.log(`\n${ROUNDS} interleaved rounds of ${STEPS_PER_ROUND} steps, ${VERIFICATIONS} verifications per store`);
  for (const concurrency of [1, CONCURRENCY]) {
    await round(subjects[0] as Subject, concurrency); // warm-up of the code paths
    const rates = new Map<string, number[]>(subjects.map((subject) => [subject.name, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const subject of subjects) rates.get(subject.name)?.push(await round(subject, concurrency));
    }
    console.log(
      `\n${concurrency === 1 ? 'one step at a time' : `${concurrency} steps at once`}: steps/s median (min–max)`,
    );
    for (const [name, values] of rates) {
      const format = (value: number) => Math.round(value).toLocaleString('en-US');
      console.log(
        `  ${name.padEnd(28)} ${format(median(values)).padStart(7)}  (${format(Math.min(...values))}–${format(Math.max(...values))})`,
      );
    }
  }
  console.log('\nstored verification');
  for (const subject of subjects) {
    if (subject.recordBytes !== undefined) console.log(`  ${subject.name.padEnd(28)} ${await subject.recordBytes()}`);
  }
} finally {
  for (const subject of subjects) await subject.store.close();
  cluster?.stop();
  rmSync(folder, { recursive: true, force: true });
}
