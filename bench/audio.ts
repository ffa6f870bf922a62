/**
 * Speed of the audio analyser: how many seconds of call audio one core
 * analyses per second, as a multiple of real time (goal: at least 1 000×).
 * One minute of μ-law audio (speech-like talk, SIT and announcement, ringback,
 * busy, DTMF, chords, noise) is fed in 20 ms frames, as Twilio Media Streams
 * deliver it, to a fresh analyser per round; the median of the rounds counts.
 *
 * Run: node --import tsx bench/audio.ts
 */
import {
  AudioAnalyser,
  type AudioAnalyserOptions,
  decodeMulaw,
  TONE_ZONES,
  type ToneZoneName,
} from '../src/audio/index.js';
import { createSeededRandom } from '../src/providers/simulated/random.js';
import {
  addNoise,
  cadenceSegments,
  concat,
  dtmfSegments,
  musicLike,
  renderSegments,
  type Segment,
  silence,
  speechLike,
  toMulaw,
} from '../test/audio/signals.js';

const ROUNDS = 9;
const WARM_UP_ROUNDS = 3;
const FRAME_BYTES = 160;

function callAudio(): Uint8Array {
  const random = createSeededRandom(2024);
  const sit: Segment[] = [
    { durationMs: 274, tones: [{ frequencyHz: 913.8, dbm0: -22 }] },
    { durationMs: 274, tones: [{ frequencyHz: 1370.6, dbm0: -22 }] },
    { durationMs: 380, tones: [{ frequencyHz: 1776.7, dbm0: -22 }] },
  ];
  const { us } = TONE_ZONES;
  const signal = concat(
    renderSegments(cadenceSegments(us.ringback, 12_000, -20), random),
    speechLike(random, 15_000, -18),
    renderSegments(sit, random),
    speechLike(random, 6_000, -20),
    renderSegments(cadenceSegments(us.busy, 6_000, -20), random),
    renderSegments(dtmfSegments('0123456789*#ABCD', { onMs: 80, offMs: 80, rowDbm0: -12, columnDbm0: -14 }), random),
    musicLike(random, 10_000, -20),
    renderSegments(cadenceSegments(us.reorder, 3_000, -20), random),
    silence(60_000),
  ).subarray(0, 60 * 8000);
  return toMulaw(addNoise(signal, -50, random));
}

function cpuMs(run: () => void): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

function analyse(audio: Uint8Array, options: AudioAnalyserOptions): number {
  const analyser = new AudioAnalyser(options);
  let detections = 0;
  for (let at = 0; at < audio.length; at += FRAME_BYTES)
    detections += analyser.pushMulaw(audio.subarray(at, at + FRAME_BYTES)).length;
  return detections;
}

const audio = callAudio();
const audioSeconds = audio.length / 8000;
const allZones = Object.keys(TONE_ZONES) as ToneZoneName[];
const only = (detector: keyof AudioAnalyserOptions, value: AudioAnalyserOptions[typeof detector] = true) => ({
  sit: false,
  callProgress: false,
  answeringMachine: false,
  beep: false,
  [detector]: value,
});

const configurations: [string, AudioAnalyserOptions][] = [
  ['defaults (SIT, us tones, AMD, beep)', {}],
  ['everything (six zones, DTMF too)', { callProgress: { zones: allZones }, dtmf: true }],
  ['SIT only', only('sit')],
  ['call-progress, us only', only('callProgress')],
  ['call-progress, six zones only', only('callProgress', { zones: allZones })],
  ['answering machine only', only('answeringMachine')],
  ['beep only', only('beep')],
  ['DTMF only', only('dtmf')],
];

console.log(
  `audio analysis on one core: ${audioSeconds} s of μ-law in ${FRAME_BYTES}-byte frames, median of ${ROUNDS} rounds`,
);
console.log(`node ${process.version}\n`);
console.log(
  `${'configuration'.padEnd(40)}${'cpu ms'.padStart(10)}${'× real time'.padStart(14)}${'wall ms'.padStart(10)}`,
);
const results: Record<string, number> = {};
for (const [name, options] of configurations) {
  for (let i = 0; i < WARM_UP_ROUNDS; i++) analyse(audio, options);
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    cpu.push(cpuMs(() => analyse(audio, options)));
    wall.push(performance.now() - start);
  }
  const multiple = (audioSeconds * 1000) / median(cpu);
  results[name] = multiple;
  console.log(
    `${name.padEnd(40)}${median(cpu).toFixed(1).padStart(10)}${`${Math.round(multiple)}×`.padStart(14)}${median(wall).toFixed(1).padStart(10)}`,
  );
}

const decodeCpu: number[] = [];
const samples = new Int16Array(audio.length);
for (let i = 0; i < ROUNDS + WARM_UP_ROUNDS; i++) decodeCpu.push(cpuMs(() => decodeMulaw(audio, samples)));
console.log(
  `\nμ-law decoding alone: ${Math.round((audioSeconds * 1000) / median(decodeCpu.slice(WARM_UP_ROUNDS)))}× real time`,
);

const slowest = Math.min(...Object.values(results));
console.log(
  `slowest configuration: ${Math.round(slowest)}× real time (goal 1000×): ${slowest >= 1000 ? 'met' : 'NOT met'}`,
);
