/**
 * Seed Question 2: back up the data file while the service runs, and when the
 * file goes bad put the last good copy in place. The copy taken while
 * verifications were in flight resumes: a service started on it carries them
 * on to their end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedCarrier } from '../../src/providers/simulated/simulatedCarrier.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import { createVerificationService } from '../../src/service/verificationService.js';
import { restoreSqliteBackup, SqliteVerificationStore } from '../../src/store/sqlite/index.js';

const RINGING_FOREVER = '+14255550100';
const APPROVER = '+14255550101';

/** Lets virtual time pass in small steps, each with a moment of real time for the steps it starts (SQLite waits for real). */
async function pass(clock: VirtualClock, ms: number): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += 100) {
    clock.advanceBy(100);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

let directory = '';
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'voice-mfa-backup-resume-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('a backup taken while verifications run', () => {
  it('restores to a state that resumes and finishes', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const live = join(directory, 'live.db');
    const carrier = new SimulatedCarrier({
      clock,
      numbers: {
        [RINGING_FOREVER]: { kind: 'no-answer' },
        [APPROVER]: { kind: 'answers', responses: [{ press: '#' }] },
      },
    });
    const store = new SqliteVerificationStore({ path: live, clock });
    await store.migrate();
    const before = createVerificationService({ store, provider: carrier, clock, sweepIntervalMs: null });
    carrier.connect((id, event) => before.deliverEvent(id, event));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (await before.start({ targets: [RINGING_FOREVER, APPROVER], timing: { ringTimeoutMs: 20_000 } }))
          .verificationId,
      );
    }
    await pass(clock, 5_000);
    // Every verification is ringing its first number: the backup is taken now, with the service still up.
    const backup = await store.backup(join(directory, 'backup.db'));
    expect(backup.bytes).toBeGreaterThan(0);
    await before.close();
    await store.close();

    // The live file is lost; the last good copy goes in its place and a new instance takes over.
    await rm(live, { force: true });
    const restored = await restoreSqliteBackup(backup.path, live);
    expect(restored.setAside).toBeNull();
    const store2 = new SqliteVerificationStore({ path: live, clock });
    await store2.migrate();
    const after = createVerificationService({ store: store2, provider: carrier, clock, sweepIntervalMs: null });
    carrier.connect((id, event) => after.deliverEvent(id, event));
    await pass(clock, 20_000);
    await after.sweep();
    await pass(clock, 30_000);
    const results = await Promise.all(ids.map((id) => after.getResult(id)));
    expect(results.map((result) => result?.status)).toEqual(ids.map(() => 'approved'));
    expect(results.map((result) => result?.attempts.map((attempt) => attempt.result))).toEqual(
      ids.map(() => ['no-answer', 'approved']),
    );
    await after.close();
    await store2.close();
    carrier.hangUpAll();
  });
});
