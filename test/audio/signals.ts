/**
 * Test audio for the analyser: the synthesis of src/audio/synthesis.ts (tones,
 * cadences, speech-like and music-like sounds) plus what only the tests need —
 * white noise, DTMF sequences, feeding an analyser — from a seeded random
 * source, encoded to μ-law the way a call delivers them. Free of the test
 * runner, so the benchmark uses it too.
 */
import { type AudioAnalyser, type AudioDetection, dbm0ToAmplitude, encodeMulaw } from '../../src/audio/index.js';
import type { Segment, Tone } from '../../src/audio/synthesis.js';
import { createSeededRandom, type RandomSource } from '../../src/providers/simulated/random.js';

export {
  cadenceSegments,
  concat,
  musicLike,
  renderSegments,
  type Segment,
  silence,
  speechLike,
  spokenWord,
  type Tone,
  uniform,
} from '../../src/audio/synthesis.js';
export type { RandomSource };

const TWO_PI = 2 * Math.PI;

export const pick = <T>(random: RandomSource, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;

/** Standard normal deviate (Box–Muller). */
export function gaussian(random: RandomSource): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(TWO_PI * random());
}

/** Power (mean square, 16-bit scale) of a sine at `dbm0`. */
export const powerOf = (dbm0: number): number => dbm0ToAmplitude(dbm0) ** 2 / 2;

/** dBm0 of the tones of a segment played together. */
export const combinedDbm0 = (tones: readonly Tone[]): number =>
  10 * Math.log10(tones.reduce((sum, tone) => sum + 10 ** (tone.dbm0 / 10), 0));

/**
 * White Gaussian noise, drawn once (32 s of it); each use starts at a random
 * place in it, which keeps noise nearly free next to the analysis it tests.
 */
const NOISE_LENGTH = 1 << 18;
const NOISE = (() => {
  const random = createSeededRandom(1);
  return Float64Array.from({ length: NOISE_LENGTH }, () => gaussian(random));
})();

/** Adds white Gaussian noise at `dbm0` (its power as a tone of that level would have). */
export function addNoise(signal: Float64Array, dbm0: number, random: RandomSource): Float64Array {
  const sigma = Math.sqrt(powerOf(dbm0));
  let at = Math.floor(random() * NOISE_LENGTH);
  for (let n = 0; n < signal.length; n++) {
    signal[n] = (signal[n] as number) + sigma * (NOISE[at] as number);
    at = (at + 1) & (NOISE_LENGTH - 1);
  }
  return signal;
}

/** μ-law bytes of a signal, as a call delivers it. */
export const toMulaw = (signal: Float64Array): Uint8Array => encodeMulaw(signal);

/**
 * Feeds μ-law audio in frames (Twilio sends 160 bytes, 20 ms) and collects
 * the detections; stops early once `stop` says so.
 */
export function analyse(
  analyser: AudioAnalyser,
  audio: Uint8Array,
  options: { frameBytes?: number; stop?: (detection: AudioDetection) => boolean } = {},
): AudioDetection[] {
  const frameBytes = options.frameBytes ?? 160;
  const found: AudioDetection[] = [];
  for (let at = 0; at < audio.length; at += frameBytes) {
    const detections = analyser.pushMulaw(audio.subarray(at, at + frameBytes));
    found.push(...detections);
    if (options.stop && detections.some(options.stop)) break;
  }
  return found;
}

/** The DTMF frequencies of each key (TELEPHONY.md "DTMF"), written out independently of the detector. */
export const DTMF_KEYS: Readonly<Record<string, readonly [number, number]>> = {
  '1': [697, 1209],
  '2': [697, 1336],
  '3': [697, 1477],
  A: [697, 1633],
  '4': [770, 1209],
  '5': [770, 1336],
  '6': [770, 1477],
  B: [770, 1633],
  '7': [852, 1209],
  '8': [852, 1336],
  '9': [852, 1477],
  C: [852, 1633],
  '*': [941, 1209],
  '0': [941, 1336],
  '#': [941, 1477],
  D: [941, 1633],
};

/** Segments of key presses: each key `onMs` of its two tones, then `offMs` of silence. */
export function dtmfSegments(
  digits: string,
  timing: { onMs: number; offMs: number; rowDbm0: number; columnDbm0: number; frequencyFactor?: number },
): Segment[] {
  const factor = timing.frequencyFactor ?? 1;
  return [...digits].flatMap((digit) => {
    const [row, column] = DTMF_KEYS[digit] ?? [0, 0];
    return [
      {
        durationMs: timing.onMs,
        tones: [
          { frequencyHz: row * factor, dbm0: timing.rowDbm0 },
          { frequencyHz: column * factor, dbm0: timing.columnDbm0 },
        ],
      },
      { durationMs: timing.offMs, tones: [] },
    ];
  });
}
