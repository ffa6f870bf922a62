/**
 * False alarms: speech-like audio (harmonic stacks on a gliding pitch, in
 * syllables), DTMF key sequences, music-like chords and noise (steady, or
 * gated in a busy-like rhythm) must not be taken for a SIT, busy, reorder or
 * ringback tone — listening for all six built-in zones at once, the hardest
 * setting — in at least 99.9 % of 1 000 trials of 3 s each.
 */
import { describe, it } from 'vitest';
import { AudioAnalyser, type AudioDetection, TONE_ZONES, type ToneZoneName } from '../../src/audio/index.js';
import {
  addNoise,
  analyse,
  DTMF_KEYS,
  dtmfSegments,
  musicLike,
  pick,
  type RandomSource,
  renderSegments,
  silence,
  speechLike,
  toMulaw,
  uniform,
} from './signals.js';
import { describeDetections, expectRate, runTrials, TRIALS_TIMEOUT_MS } from './trials.js';

const TRIALS = 1_000;
const TRIAL_MS = 3000;
const ALL_ZONES = Object.keys(TONE_ZONES) as ToneZoneName[];
const ALARMS = new Set(['sit', 'busy', 'reorder', 'ringback']);

const keySequence = (random: RandomSource): Float64Array => {
  const digits = Array.from({ length: 20 }, () => pick(random, Object.keys(DTMF_KEYS))).join('');
  const rowDbm0 = uniform(random, -25, -5);
  const signal = renderSegments(
    dtmfSegments(digits, {
      onMs: uniform(random, 40, 250),
      offMs: uniform(random, 50, 250),
      rowDbm0,
      columnDbm0: rowDbm0 + uniform(random, -7, 3),
    }),
    random,
  );
  return signal.subarray(0, TRIAL_MS * 8);
};

/** White noise, steady or switched on and off in the rhythm of some zone's busy or reorder tone. */
const noise = (random: RandomSource): Float64Array => {
  const signal = addNoise(silence(TRIAL_MS), uniform(random, -45, -10), random);
  if (random() < 0.5) return signal;
  const zone = TONE_ZONES[pick(random, ALL_ZONES)];
  const cadence = (random() < 0.5 ? zone.busy : zone.reorder).cadenceMs;
  let at = 0;
  for (let segment = 0; at < signal.length; segment++) {
    const length = Math.round((cadence[segment % cadence.length] as number) * 8);
    if (segment % 2 === 1) signal.fill(0, at, at + length);
    at += length;
  }
  return signal;
};

const CLASSES: Record<string, (random: RandomSource) => Float64Array> = {
  'speech-like audio': (random) => speechLike(random, TRIAL_MS, uniform(random, -30, -10)),
  'DTMF key sequences': keySequence,
  'music-like chords': (random) => musicLike(random, TRIAL_MS, uniform(random, -30, -10)),
  noise,
};

describe('no SIT, busy, reorder or ringback', () => {
  for (const [name, make] of Object.entries(CLASSES)) {
    it(
      `from ${name}, in at least 99.9 % of ${TRIALS} trials`,
      () => {
        const report = runTrials(TRIALS, Object.keys(CLASSES).indexOf(name) * 100_000 + 50_000, (random) => {
          const signal = make(random);
          if (name !== 'noise' && random() < 0.5) addNoise(signal, uniform(random, -60, -35), random);
          const analyser = new AudioAnalyser({
            callProgress: { zones: ALL_ZONES },
            answeringMachine: false,
            beep: false,
          });
          const alarms = analyse(analyser, toMulaw(signal)).filter((d: AudioDetection) => ALARMS.has(d.type));
          return alarms.length === 0 ? null : describeDetections(alarms);
        });
        expectRate(report, 0.999, name);
      },
      TRIALS_TIMEOUT_MS,
    );
  }
});
