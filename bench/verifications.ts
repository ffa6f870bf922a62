/**
 * What a verification costs, measured side by side in one run, and written to
 * bench/results.json (medians of interleaved rounds; min–max printed):
 *
 * - simulatedVerificationsPerSecond: whole verifications per second of real
 *   time through runVerification and the simulated carrier — the seed story
 *   (voicemail, 10 s, rollover, #) and a fixed mix (approve, hang-up,
 *   voicemail → rollover → approve, busy → approve, PIN);
 * - runtimeOverBareActor: time per verification through the runtime over the
 *   same provider events sent into a bare actor of the machine;
 * - runtimeOverHandWritten: the same over a hand-written reducer of the rules
 *   (bench/handWritten.ts), checked to end every flow as the library does;
 * - heapBytesPerVerification: heap per verification with 10 000 in flight at
 *   once, parked mid-call, after GC;
 * - snapshotBytes: the largest persisted snapshot over every reachable state;
 * - webhookP99Ms, webhookP99OverBare: p99 latency of signed status callbacks
 *   and Gather actions, 200 in flight, through the real webhook listener and
 *   through a bare node:http server answering fixed TwiML, on 127.0.0.1;
 * - rolloverLagP99Ms: on the real clock, how late the backup is dialled after
 *   the input deadline, 1 000 in flight, deadlines spread over 10 s and all
 *   due at once.
 *
 *   npm run bench [-- --quick] [--out <file>]
 *
 * `--quick` (under a minute, as CI runs it) has the same keys from fewer and
 * shorter rounds, 500 verifications parked instead of 10 000, 200 webhooks of
 * each kind per round instead of 1 000 and 500 rollovers instead of 1 000. Numbers
 * are printed, never judged: slow numbers do not fail the run, a wrong
 * outcome does. Goals and method: docs/performance.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clockScheduleCancelMicros, registryChurnMicros } from './clockAndRegistry.js';
import { MIX, SEED_STORY } from './flows.js';
import { heapBytesPerParkedVerification, maxSnapshotBytes } from './memory.js';
import { rolloverLagP99Ms } from './rolloverLag.js';
import { type Spread, spreadOf } from './stats.js';
import {
  checkSameOutcomes,
  type PreparedFlow,
  perSecond,
  prepareFlow,
  runBareActor,
  runHandWrittenFlow,
  runRuntimeFlow,
} from './throughput.js';
import { startWebhookBench, type WebhookRound } from './webhooks.js';

const quick = process.argv.includes('--quick');
const outIndex = process.argv.indexOf('--out');
const outFile = outIndex < 0 ? fileURLToPath(new URL('./results.json', import.meta.url)) : process.argv[outIndex + 1];
if (outFile === undefined) throw new Error('--out needs a file name');
const settings = quick
  ? {
      rounds: 3,
      runtimeMs: 400,
      bareMs: 250,
      handWrittenMs: 100,
      parked: 500,
      webhookWarmUp: 100,
      webhookRounds: 3,
      webhookCount: 200,
      rolloverInFlight: 500,
    }
  : {
      rounds: 7,
      runtimeMs: 1_500,
      bareMs: 1_000,
      handWrittenMs: 300,
      parked: 10_000,
      webhookWarmUp: 200,
      webhookRounds: 9,
      webhookCount: 1_000,
      rolloverInFlight: 1_000,
    };
const WEBHOOK_CONCURRENCY = 200;
const ROLLOVER_IN_FLIGHT = settings.rolloverInFlight;
const started = performance.now();
// Bounded: a run that hangs (a request never answered, a verification that never ends) fails.
const WATCHDOG_MS = quick ? 180_000 : 900_000;
setTimeout(() => {
  console.error(`bench: not finished after ${WATCHDOG_MS / 1000} s, giving up`);
  process.exit(1);
}, WATCHDOG_MS).unref();

const log = (line: string): void => console.log(line);
const round1 = (value: number): number => Math.round(value * 10) / 10;
const round2 = (value: number): number => Math.round(value * 100) / 100;
const show = (name: string, spread: Spread, unit: string, digits = 0): void =>
  log(
    `  ${name.padEnd(38)} ${spread.median.toFixed(digits).padStart(9)} ${unit.padEnd(6)} ` +
      `(min–max ${spread.min.toFixed(digits)}–${spread.max.toFixed(digits)})`,
  );

log(
  `voice-mfa bench${quick ? ' --quick' : ''}: node ${process.version}, ${cpus().length} CPUs, ${cpus()[0]?.model ?? '?'}`,
);

// Throughput: the three ways in interleaved rounds, the order turned each round.
const seed = [await prepareFlow(SEED_STORY)];
const mix = await Promise.all(MIX.map(prepareFlow));
await checkSameOutcomes([...seed, ...mix]);
for (const flows of [seed, mix]) {
  // Warm-up: the JIT compiles every path before anything counts.
  await perSecond(flows, (p) => runRuntimeFlow(p.flow), 200);
  await perSecond(flows, runBareActor, 100);
  await perSecond(flows, runHandWrittenFlow, 50);
}
interface Rates {
  runtime: number[];
  bare: number[];
  handWritten: number[];
}
const rates: Record<'seed' | 'mix', Rates> = {
  seed: { runtime: [], bare: [], handWritten: [] },
  mix: { runtime: [], bare: [], handWritten: [] },
};
const measures: [keyof Rates, (flows: PreparedFlow[]) => Promise<number>][] = [
  ['runtime', (flows) => perSecond(flows, (p) => runRuntimeFlow(p.flow), settings.runtimeMs)],
  ['bare', (flows) => perSecond(flows, runBareActor, settings.bareMs)],
  ['handWritten', (flows) => perSecond(flows, runHandWrittenFlow, settings.handWrittenMs)],
];
for (let round = 0; round < settings.rounds; round++) {
  const order = round % 2 === 0 ? measures : [...measures].reverse();
  for (const [which, flows] of [
    ['seed', seed],
    ['mix', mix],
  ] as const) {
    for (const [way, measure] of order) rates[which][way].push(await measure(flows));
  }
}
const ratios = (which: 'seed' | 'mix', way: 'bare' | 'handWritten'): number[] =>
  rates[which].runtime.map((runtime, i) => (rates[which][way][i] as number) / runtime);

log(`\nverifications per second (${settings.rounds} interleaved rounds; the same events in each way)`);
for (const which of ['seed', 'mix'] as const) {
  const label = which === 'seed' ? 'seed story' : 'mix';
  show(`${label}: runVerification + carrier`, spreadOf(rates[which].runtime), '/s');
  show(`${label}: bare actor`, spreadOf(rates[which].bare), '/s');
  show(`${label}: hand-written reducer`, spreadOf(rates[which].handWritten), '/s');
  show(`${label}: runtime / bare actor`, spreadOf(ratios(which, 'bare')), '×', 2);
  show(`${label}: runtime / hand-written`, spreadOf(ratios(which, 'handWritten')), '×', 0);
}

// Memory.
const parkedExpected = JSON.stringify(seed[0]?.expected);
const heapPerVerification = await heapBytesPerParkedVerification(SEED_STORY, settings.parked, 20_000, parkedExpected);
log(`\nmemory`);
log(`  heap per verification, ${settings.parked} parked mid-call after GC: ${Math.round(heapPerVerification)} bytes`);
const snapshots = maxSnapshotBytes();
log(
  `  largest snapshot over ${snapshots.states} reachable states: ${snapshots.persisted} bytes persisted by XState ` +
    `(${snapshots.stored} as the durable store keeps it, input stored once beside it)`,
);

// Webhooks: the real listener and the bare server in turn, each round on fresh verifications.
const webhooks = await startWebhookBench(WEBHOOK_CONCURRENCY);
const webhookRounds: WebhookRound[] = [];
try {
  await webhooks.round(settings.webhookWarmUp, false);
  for (let round = 0; round < settings.webhookRounds; round++) {
    webhookRounds.push(await webhooks.round(settings.webhookCount, round % 2 === 1));
  }
} finally {
  await webhooks.close();
}
const pick = (f: (r: WebhookRound) => number): Spread => spreadOf(webhookRounds.map(f));
log(
  `\nwebhook p99 at ${WEBHOOK_CONCURRENCY} in flight, ${settings.webhookCount} requests of each kind per round, ` +
    `${settings.webhookRounds} rounds (127.0.0.1)`,
);
const WEBHOOK_KINDS = [
  {
    label: 'status callback',
    listener: (r: WebhookRound) => r.status,
    bare: (r: WebhookRound) => r.bareStatus,
    listenerBusy: (r: WebhookRound) => r.busyMicros.status,
    bareBusy: (r: WebhookRound) => r.busyMicros.bareStatus,
  },
  {
    label: 'gather action',
    listener: (r: WebhookRound) => r.gather,
    bare: (r: WebhookRound) => r.bareGather,
    listenerBusy: (r: WebhookRound) => r.busyMicros.gather,
    bareBusy: (r: WebhookRound) => r.busyMicros.bareGather,
  },
] as const;
for (const { label, listener, bare, listenerBusy, bareBusy } of WEBHOOK_KINDS) {
  show(`${label}: webhook listener`, pick(listener), 'ms', 1);
  show(`${label}: bare node:http`, pick(bare), 'ms', 1);
  show(
    `${label}: listener / bare`,
    pick((r) => listener(r) / bare(r)),
    '×',
    2,
  );
  // The servers' thread busy per request: what p99 hides, since the load generator's cost also sets it.
  show(`${label}: busy, listener`, pick(listenerBusy), 'µs');
  show(`${label}: busy, bare node:http`, pick(bareBusy), 'µs');
}

// The structures every verification touches, with many others live.
log('\nstructures');
for (const pending of [5_000, 50_000]) {
  clockScheduleCancelMicros(pending, 1_000);
  log(
    `  virtual clock, schedule + cancel, ${pending} pending: ${clockScheduleCancelMicros(pending, 10_000).toFixed(2)} µs`,
  );
}
for (const live of [1_000, 10_000]) {
  registryChurnMicros(live, 1_000);
  log(
    `  call registry, register + 2 binds + unregister, ${live} live: ${registryChurnMicros(live, 10_000).toFixed(2)} µs`,
  );
}

// Rollover lag on the real clock.
const spreadLag = await rolloverLagP99Ms(ROLLOVER_IN_FLIGHT, (i) => 1_000 + (i * 10_000) / ROLLOVER_IN_FLIGHT);
const onceLag = await rolloverLagP99Ms(ROLLOVER_IN_FLIGHT, () => 1_000);
log(`\nrollover lag p99, ${ROLLOVER_IN_FLIGHT} in flight on the real clock`);
log(`  deadlines spread over 10 s: ${spreadLag} ms`);
log(`  all due at once:            ${onceLag} ms`);

const results = {
  simulatedVerificationsPerSecond: {
    seedStory: Math.round(spreadOf(rates.seed.runtime).median),
    mix: Math.round(spreadOf(rates.mix.runtime).median),
  },
  runtimeOverBareActor: {
    seedStory: round2(spreadOf(ratios('seed', 'bare')).median),
    mix: round2(spreadOf(ratios('mix', 'bare')).median),
  },
  runtimeOverHandWritten: {
    seedStory: Math.round(spreadOf(ratios('seed', 'handWritten')).median),
    mix: Math.round(spreadOf(ratios('mix', 'handWritten')).median),
  },
  heapBytesPerVerification: Math.round(heapPerVerification),
  snapshotBytes: snapshots.persisted,
  webhookP99Ms: {
    statusCallback: round1(pick((r) => r.status).median),
    gatherAction: round1(pick((r) => r.gather).median),
  },
  webhookP99OverBare: {
    statusCallback: round2(pick((r) => r.status / r.bareStatus).median),
    gatherAction: round2(pick((r) => r.gather / r.bareGather).median),
  },
  rolloverLagP99Ms: { spread: spreadLag, allDueAtOnce: onceLag },
};
log(`\n${JSON.stringify(results, null, 2)}`);
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
log(
  `\nwritten to ${outIndex < 0 ? 'bench/results.json' : outFile} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
