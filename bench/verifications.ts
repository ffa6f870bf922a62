/**
 * Throughput and memory of verifications on the simulated carrier: how many
 * whole verifications (seed story: voicemail, 10 s, rollover, approval) run per
 * second of real time, and how much heap they retain. Prints the numbers and
 * writes bench/results.json.
 */
import { writeFileSync } from 'node:fs';
import { runVerification, SimulatedCarrier, VirtualClock } from '../src/index.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

async function seedStory(clock: VirtualClock): Promise<string> {
  const carrier = new SimulatedCarrier({
    clock,
    numbers: { [PRIMARY]: { kind: 'voicemail' }, [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] } },
  });
  const result = await runVerification({ targets: [PRIMARY, BACKUP] }, { provider: carrier, clock });
  return result.status;
}

async function sequential(count: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const status = await seedStory(new VirtualClock());
    if (status !== 'approved') throw new Error(`unexpected status ${status}`);
  }
  return performance.now() - start;
}

async function concurrent(count: number): Promise<{ ms: number; heapDeltaBytes: number }> {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const clock = new VirtualClock();
  const start = performance.now();
  const statuses = await Promise.all(Array.from({ length: count }, () => seedStory(clock)));
  const ms = performance.now() - start;
  if (statuses.some((s) => s !== 'approved')) throw new Error('a concurrent verification did not approve');
  globalThis.gc?.();
  return { ms, heapDeltaBytes: process.memoryUsage().heapUsed - heapBefore };
}

await sequential(50); // warm-up
const sequentialCount = 2_000;
const sequentialMs = await sequential(sequentialCount);
const concurrentCount = 1_000;
const { ms: concurrentMs, heapDeltaBytes } = await concurrent(concurrentCount);

const results = {
  node: process.version,
  sequential: {
    verifications: sequentialCount,
    realMs: Math.round(sequentialMs),
    perSecond: Math.round((sequentialCount / sequentialMs) * 1000),
    realMsPerVerification: Number((sequentialMs / sequentialCount).toFixed(3)),
  },
  concurrentOnOneClock: {
    verifications: concurrentCount,
    realMs: Math.round(concurrentMs),
    perSecond: Math.round((concurrentCount / concurrentMs) * 1000),
  },
  retainedHeapAfterwardsBytes: heapDeltaBytes,
  gcExposed: typeof globalThis.gc === 'function',
};
console.log(JSON.stringify(results, null, 2));
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
