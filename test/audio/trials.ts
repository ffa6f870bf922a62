/**
 * Seeded trials of the analyser: each trial has its own seed, a batch's
 * success rate is asserted, and a shortfall names the failed seeds and what
 * happened. `AUDIO_SEED` changes the base seed of a run; `AUDIO_REPORT=1`
 * prints the measured rates.
 */
import { expect } from 'vitest';
import type { AudioDetection } from '../../src/audio/index.js';
import { createSeededRandom, type RandomSource } from '../../src/providers/simulated/random.js';

/** Base seed of the trials; each trial adds its index. */
export const BASE_SEED = Number(process.env.AUDIO_SEED ?? 20_240_611);

/** Vitest timeout for a batch of trials: seconds of work, more on a busy machine. */
export const TRIALS_TIMEOUT_MS = 120_000;

/** Outcome of a batch of seeded trials. */
export interface TrialReport {
  trials: number;
  failures: { seed: number; detail: string }[];
  rate: number;
}

/**
 * Runs `trials` trials, each with its own seed; `trial` returns null on
 * success or a description of what went wrong.
 */
export function runTrials(
  trials: number,
  seedOffset: number,
  trial: (random: RandomSource, seed: number) => string | null,
): TrialReport {
  const failures: TrialReport['failures'] = [];
  for (let i = 0; i < trials; i++) {
    const seed = BASE_SEED + seedOffset + i;
    const detail = trial(createSeededRandom(seed), seed);
    if (detail !== null) failures.push({ seed, detail });
  }
  return { trials, failures, rate: 1 - failures.length / trials };
}

/**
 * Asserts the success rate of a batch, naming the failed seeds (and what
 * happened) when it falls short. `AUDIO_REPORT=1` prints every rate.
 */
export function expectRate(report: TrialReport, minimum: number, label: string): void {
  const summary = `${label}: ${report.trials - report.failures.length}/${report.trials} (${(report.rate * 100).toFixed(2)} %)`;
  if (process.env.AUDIO_REPORT) console.log(summary);
  const detail = report.failures
    .slice(0, 10)
    .map((failure) => `  seed ${failure.seed}: ${failure.detail}`)
    .join('\n');
  expect(report.rate, `${summary}, below ${(minimum * 100).toFixed(1)} %\n${detail}`).toBeGreaterThanOrEqual(minimum);
}

function describeDetection(d: AudioDetection): string {
  switch (d.type) {
    case 'sit':
      return `sit ${d.code} at ${d.atMs} [${d.segments.map((s) => `${s.frequencyHz}/${s.durationMs}`).join(' ')}]`;
    case 'dtmf':
      return `dtmf ${d.digit} at ${d.atMs}`;
    case 'beep':
      return `beep ${d.frequencyHz} Hz ${d.startMs}-${d.endMs}`;
    case 'busy':
    case 'reorder':
    case 'ringback':
      return `${d.type} (${d.zone}) at ${d.atMs}`;
    default:
      return `${d.type} (${d.cause}) at ${d.atMs}`;
  }
}

/** Short description of detections, for failure messages. */
export const describeDetections = (detections: readonly AudioDetection[]): string =>
  detections.length === 0 ? 'nothing detected' : detections.map(describeDetection).join(', ');
