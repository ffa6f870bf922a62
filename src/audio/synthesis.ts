/**
 * Telephone audio made up from a seeded random source: tones and cadences,
 * speech-like and music-like sounds, at 8 kHz on the 16-bit linear scale
 * ({@link encodeMulaw} turns it into what a call carries). The simulated
 * carrier plays it to its callees' lines; the tests and the benchmark feed it
 * to the analyser.
 *
 * @module
 */
import type { SitKind } from '../machine/events.js';
import { dbm0ToAmplitude } from './levels.js';
import { SAMPLE_RATE_HZ, SAMPLES_PER_MS } from './sampleClock.js';
import { classifySit, type DefinedSitCode, SIT_SEQUENCES } from './sitTones.js';
import type { ToneCadence } from './toneZones.js';

/** Numbers in [0, 1), e.g. from a seeded generator, so that the same seed makes the same audio. */
export type RandomSource = () => number;

/** A tone played at a level; `dbm0` is the level of this frequency alone. */
export interface Tone {
  frequencyHz: number;
  dbm0: number;
}

/** A stretch of audio: tones played together, or silence when there are none. */
export interface Segment {
  durationMs: number;
  tones: readonly Tone[];
}

const TWO_PI = 2 * Math.PI;

/** A number drawn evenly from [min, max). */
export const uniform = (random: RandomSource, min: number, max: number): number => min + (max - min) * random();

/** Adds a sine to `out` from `at` on, by a rotating phasor: one complex multiplication per sample instead of a sine. */
function addSine(
  out: Float64Array,
  at: number,
  length: number,
  frequencyHz: number,
  amplitude: number,
  phase: number,
): void {
  const step = (TWO_PI * frequencyHz) / SAMPLE_RATE_HZ;
  const stepCos = Math.cos(step);
  const stepSin = Math.sin(step);
  let re = amplitude * Math.cos(phase);
  let im = amplitude * Math.sin(phase);
  for (let n = 0; n < length; n++) {
    out[at + n] = (out[at + n] as number) + im;
    const nextRe = re * stepCos - im * stepSin;
    im = re * stepSin + im * stepCos;
    re = nextRe;
  }
}

/** Renders segments one after another, each tone starting at a random phase. */
export function renderSegments(segments: readonly Segment[], random: RandomSource): Float64Array {
  const total = segments.reduce((sum, segment) => sum + Math.round(segment.durationMs * SAMPLES_PER_MS), 0);
  const out = new Float64Array(total);
  let at = 0;
  for (const segment of segments) {
    const length = Math.round(segment.durationMs * SAMPLES_PER_MS);
    for (const tone of segment.tones) {
      addSine(out, at, length, tone.frequencyHz, dbm0ToAmplitude(tone.dbm0), TWO_PI * random());
    }
    at += length;
  }
  return out;
}

/**
 * The segments of a call-progress tone played for `totalMs` (whole on or off
 * parts, the last one possibly past the end), each frequency at `dbm0`.
 */
export function cadenceSegments(tone: ToneCadence, totalMs: number, dbm0: number): Segment[] {
  const segments: Segment[] = [];
  for (let at = 0, i = 0; at < totalMs; i++) {
    const durationMs = tone.cadenceMs[i % tone.cadenceMs.length] as number;
    const on = i % 2 === 0;
    segments.push({ durationMs, tones: on ? tone.frequenciesHz.map((frequencyHz) => ({ frequencyHz, dbm0 })) : [] });
    at += durationMs;
  }
  return segments;
}

/**
 * The three special information tones of a kind at `dbm0`: the North American
 * code the classifier gives that kind, the ITU-T E.180 sequence for `unknown`.
 */
export function sitSegments(kind: SitKind, dbm0: number): Segment[] {
  const codes = Object.keys(SIT_SEQUENCES) as DefinedSitCode[];
  const code = codes.find((c) => classifySit(SIT_SEQUENCES[c]).kind === kind) ?? 'E180';
  return SIT_SEQUENCES[code].map(({ frequencyHz, durationMs }) => ({ durationMs, tones: [{ frequencyHz, dbm0 }] }));
}

/** Concatenates signals. */
export function concat(...parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Silence of `durationMs`. */
export const silence = (durationMs: number): Float64Array => new Float64Array(Math.round(durationMs * SAMPLES_PER_MS));

const WAVETABLE_SIZE = 1024;
const SINE_TABLE = Float64Array.from({ length: WAVETABLE_SIZE }, (_, k) => Math.sin((TWO_PI * k) / WAVETABLE_SIZE));

/** One period of a sum of harmonics (number, amplitude), one sample longer for interpolation; and its mean square. */
function harmonicTable(harmonics: readonly (readonly [number, number])[]): { table: Float64Array; power: number } {
  const table = new Float64Array(WAVETABLE_SIZE + 1);
  let power = 0;
  for (const [harmonic, amplitude] of harmonics) {
    power += amplitude ** 2 / 2;
    for (let k = 0; k <= WAVETABLE_SIZE; k++) {
      table[k] = (table[k] as number) + amplitude * (SINE_TABLE[(harmonic * k) & (WAVETABLE_SIZE - 1)] as number);
    }
  }
  return { table, power };
}

/** Linear interpolation in a table at a position in [0, WAVETABLE_SIZE). */
const lookUp = (table: Float64Array, position: number): number => {
  const index = Math.floor(position);
  const fraction = position - index;
  return (table[index] as number) * (1 - fraction) + (table[index + 1] as number) * fraction;
};

/**
 * A vowel-like sound: a harmonic stack on a pitch that glides and wobbles,
 * shaped by three formants (bandwidths of real vowels), with the attack and
 * decay of a syllable. One period is tabulated, then played at the changing
 * pitch.
 */
function syllable(random: RandomSource, durationMs: number, dbm0: number, out: Float64Array, at: number): void {
  const length = Math.min(Math.round(durationMs * SAMPLES_PER_MS), out.length - at);
  const pitchStart = uniform(random, 90, 260);
  const pitchEnd = pitchStart * uniform(random, 0.7, 1.4);
  const vibratoHz = uniform(random, 3, 7);
  const vibratoDepth = uniform(random, 0.01, 0.04);
  const formants = [uniform(random, 300, 900), uniform(random, 900, 2300), uniform(random, 2300, 3200)];
  const formantBandwidths = [uniform(random, 60, 120), uniform(random, 80, 160), uniform(random, 120, 250)];
  const highestPitch = Math.max(pitchStart, pitchEnd) * (1 + vibratoDepth);
  // Parallel formant resonators (each the magnitude of a two-pole resonance, 1 at its centre) over a glottal
  // source falling 6 dB an octave, judged at the starting pitch.
  const harmonics = Array.from({ length: Math.floor(3800 / highestPitch) }, (_, i): [number, number] => {
    const frequency = (i + 1) * pitchStart;
    let gain = 0;
    for (const [f, centre] of formants.entries()) {
      const bandwidth = formantBandwidths[f] as number;
      gain +=
        ((centre * bandwidth) / Math.hypot(centre ** 2 - frequency ** 2, frequency * bandwidth)) * (f === 0 ? 1 : 0.5);
    }
    return [i + 1, gain / (i + 1)];
  });
  const { table, power } = harmonicTable(harmonics);
  const scale = dbm0ToAmplitude(dbm0) / Math.sqrt(2 * power);
  const attack = Math.min(length / 4, 30 * SAMPLES_PER_MS);
  const release = Math.min(length / 3, 60 * SAMPLES_PER_MS);
  let position = random() * WAVETABLE_SIZE;
  // The vibrato's sine by a rotating phasor, one complex multiplication per sample.
  const vibratoStepCos = Math.cos((TWO_PI * vibratoHz) / SAMPLE_RATE_HZ);
  const vibratoStepSin = Math.sin((TWO_PI * vibratoHz) / SAMPLE_RATE_HZ);
  let vibratoRe = 1;
  let vibratoIm = 0;
  for (let n = 0; n < length; n++) {
    const pitch = (pitchStart + ((pitchEnd - pitchStart) * n) / length) * (1 + vibratoDepth * vibratoIm);
    const nextRe = vibratoRe * vibratoStepCos - vibratoIm * vibratoStepSin;
    vibratoIm = vibratoRe * vibratoStepSin + vibratoIm * vibratoStepCos;
    vibratoRe = nextRe;
    position += (pitch * WAVETABLE_SIZE) / SAMPLE_RATE_HZ;
    if (position >= WAVETABLE_SIZE) position -= WAVETABLE_SIZE;
    const envelope = Math.min(1, n / attack, (length - n) / release);
    out[at + n] = (out[at + n] as number) + scale * envelope * lookUp(table, position);
  }
}

/** A spoken word: syllables of 120–250 ms back to back, without a pause. */
export function spokenWord(random: RandomSource, durationMs: number, dbm0: number): Float64Array {
  const out = new Float64Array(Math.round(durationMs * SAMPLES_PER_MS));
  let at = 0;
  while (at < out.length) {
    const lengthMs = Math.min((out.length - at) / SAMPLES_PER_MS, uniform(random, 120, 250));
    syllable(random, lengthMs, dbm0, out, at);
    at += Math.round(lengthMs * SAMPLES_PER_MS);
  }
  return out;
}

/** Speech-like audio: syllables of 80–400 ms with pauses of 20–300 ms, the level varying around `dbm0`. */
export function speechLike(random: RandomSource, durationMs: number, dbm0: number): Float64Array {
  const out = new Float64Array(Math.round(durationMs * SAMPLES_PER_MS));
  let at = Math.round(uniform(random, 0, 200) * SAMPLES_PER_MS);
  while (at < out.length) {
    const lengthMs = uniform(random, 80, 400);
    syllable(random, lengthMs, dbm0 + uniform(random, -6, 3), out, at);
    at += Math.round((lengthMs + uniform(random, 20, 300)) * SAMPLES_PER_MS);
  }
  return out;
}

/** Music-like audio: chords of three or four notes (each with a few harmonics), 150–900 ms each, some with rests. */
export function musicLike(random: RandomSource, durationMs: number, dbm0: number): Float64Array {
  const out = new Float64Array(Math.round(durationMs * SAMPLES_PER_MS));
  let at = 0;
  while (at < out.length) {
    const lengthMs = uniform(random, 150, 900);
    const length = Math.min(Math.round(lengthMs * SAMPLES_PER_MS), out.length - at);
    const root = 45 + Math.floor(random() * 24); // MIDI note, A2 to G#4
    const chords = [
      [0, 4, 7],
      [0, 3, 7],
      [0, 4, 7, 11],
      [0, 3, 7, 10],
      [0, 5, 9],
    ];
    const chord = chords[Math.floor(random() * chords.length)] as number[];
    const envelope = new Float64Array(length);
    const decay = Math.exp(-1 / (length * 1.5));
    for (let n = 0, fade = 1; n < length; n++, fade *= decay) envelope[n] = Math.min(1, n / 80) * fade;
    for (const interval of chord) {
      const frequency = 440 * 2 ** ((root + interval - 69) / 12);
      const noteDbm0 = dbm0 - 10 * Math.log10(chord.length) + uniform(random, -3, 3);
      // Four harmonics, each 6 dB below the last, those under 3.8 kHz.
      const harmonics = [1, 2, 3, 4]
        .filter((harmonic) => frequency * harmonic <= 3800)
        .map((harmonic): [number, number] => [harmonic, 10 ** ((-6 * (harmonic - 1)) / 20)]);
      const { table } = harmonicTable(harmonics);
      const amplitude = dbm0ToAmplitude(noteDbm0);
      const step = (frequency * WAVETABLE_SIZE) / SAMPLE_RATE_HZ;
      let position = random() * WAVETABLE_SIZE;
      for (let n = 0; n < length; n++) {
        out[at + n] = (out[at + n] as number) + amplitude * (envelope[n] as number) * lookUp(table, position);
        position += step;
        if (position >= WAVETABLE_SIZE) position -= WAVETABLE_SIZE;
      }
    }
    at += length + (random() < 0.3 ? Math.round(uniform(random, 50, 400) * SAMPLES_PER_MS) : 0);
  }
  return out;
}
