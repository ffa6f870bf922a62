/**
 * The answering-machine heuristic, a port of Asterisk's app_amd: a person's
 * "Hello?" then silence, a machine's long greeting, silence, and hand-made
 * sequences of voice and silence whose verdict and its moment follow from
 * reading app_amd's loop (20 ms frames; voice is any frame whose mean
 * absolute amplitude reaches 256).
 */
import { describe, expect, it } from 'vitest';
import {
  type AnsweringMachineDetection,
  type AnsweringMachineOptions,
  AudioAnalyser,
  type AudioDetection,
  DEFAULT_ANSWERING_MACHINE_OPTIONS,
} from '../../src/audio/index.js';
import { createSeededRandom } from '../../src/providers/simulated/random.js';
import { addNoise, analyse, concat, type RandomSource, silence, spokenWord, toMulaw, uniform } from './signals.js';
import { expectRate, runTrials, TRIALS_TIMEOUT_MS } from './trials.js';

const verdicts = (detections: readonly AudioDetection[]): AnsweringMachineDetection[] =>
  detections.filter(
    (d): d is AnsweringMachineDetection => d.type === 'human' || d.type === 'machine' || d.type === 'not-sure',
  );

/** Runs the heuristic alone over a signal. */
function judge(signal: Float64Array, options: AnsweringMachineOptions = {}): AnsweringMachineDetection[] {
  const analyser = new AudioAnalyser({ answeringMachine: options, sit: false, callProgress: false, beep: false });
  return verdicts(analyse(analyser, toMulaw(signal)));
}

/** Voice for app_amd: white noise with a mean absolute amplitude of about 1 600 (−20 dBm0). */
const voice = (durationMs: number, random: RandomSource = createSeededRandom(7)): Float64Array =>
  addNoise(silence(durationMs), -20, random);

/** A quiet line: noise far below the silence threshold (mean absolute amplitude about 16). */
const quiet = (durationMs: number): Float64Array => addNoise(silence(durationMs), -60, createSeededRandom(8));

describe('app_amd defaults', () => {
  it('are those of apps/app_amd.c and amd.conf.sample', () => {
    expect(DEFAULT_ANSWERING_MACHINE_OPTIONS).toEqual({
      initialSilenceMs: 2500,
      greetingMs: 1500,
      afterGreetingSilenceMs: 800,
      totalAnalysisTimeMs: 5000,
      minimumWordLengthMs: 100,
      betweenWordsSilenceMs: 50,
      maximumNumberOfWords: 2,
      silenceThreshold: 256,
      maximumWordLengthMs: 5000,
    });
  });
});

describe('verdicts on sequences of voice and silence, frame by frame as app_amd decides', () => {
  it('silence: machine at exactly the initial silence (2 500 ms)', () => {
    expect(judge(quiet(6000))).toEqual([{ type: 'machine', atMs: 2500, cause: 'initial-silence' }]);
  });

  it('one word then silence: human once the silence reaches 800 ms', () => {
    // 500 ms silence, a 300 ms word ending at 800, then 800 ms of silence.
    expect(judge(concat(quiet(500), voice(300), quiet(3000)))).toEqual([
      { type: 'human', atMs: 1600, cause: 'after-greeting-silence' },
    ]);
  });

  it('two words are still a person (the count must exceed 2); the third word makes a machine once it reaches 100 ms', () => {
    const twoWords = concat(quiet(400), voice(200), quiet(100), voice(200), quiet(2000));
    expect(judge(twoWords)).toEqual([{ type: 'human', atMs: 1700, cause: 'after-greeting-silence' }]);
    const threeWords = concat(quiet(400), voice(200), quiet(100), voice(200), quiet(100), voice(300), quiet(2000));
    expect(judge(threeWords)).toEqual([{ type: 'machine', atMs: 1100, cause: 'max-words' }]);
  });

  it('voice adding up to the greeting length (1 500 ms): machine, without waiting for silence', () => {
    expect(judge(concat(quiet(300), voice(4000)))).toEqual([{ type: 'machine', atMs: 1800, cause: 'long-greeting' }]);
  });

  it('pauses shorter than 50 ms do not split words', () => {
    // Five stretches of 200 ms voice 40 ms apart: one word of 1 160 ms, then silence.
    const stretches = [0, 1, 2, 3, 4].flatMap((i) => (i === 0 ? [voice(200)] : [quiet(40), voice(200)]));
    expect(judge(concat(quiet(300), ...stretches, quiet(2000)))).toEqual([
      { type: 'human', atMs: 2260, cause: 'after-greeting-silence' },
    ]);
  });

  it('a word longer than maximumWordLengthMs: machine', () => {
    expect(judge(concat(quiet(200), voice(3000)), { maximumWordLengthMs: 600, greetingMs: 4000 })).toEqual([
      { type: 'machine', atMs: 800, cause: 'max-word-length' },
    ]);
  });

  it('no decision within totalAnalysisTimeMs: not sure, at its 250th frame', () => {
    // Blips shorter than a word never start a greeting, and their pauses never reach the initial silence.
    const blips = Array.from({ length: 45 }, () => concat(voice(60), quiet(60)));
    expect(judge(concat(...blips))).toEqual([{ type: 'not-sure', atMs: 5000, cause: 'too-long' }]);
  });

  it('follows its options: three words allowed, a shorter after-greeting silence', () => {
    const threeWords = concat(quiet(400), voice(200), quiet(100), voice(200), quiet(100), voice(300), quiet(2000));
    expect(judge(threeWords, { maximumNumberOfWords: 3, afterGreetingSilenceMs: 400 })).toEqual([
      { type: 'human', atMs: 1700, cause: 'after-greeting-silence' },
    ]);
  });

  it('judges a frame silent below the threshold and voice at it (linear samples, exact levels)', () => {
    const judgeLevel = (meanAbsolute: number) => {
      const analyser = new AudioAnalyser({ sit: false, callProgress: false, beep: false });
      return verdicts(
        analyser.pushLinear(Int16Array.from({ length: 24_000 }, (_, n) => (n % 2 ? 1 : -1) * meanAbsolute)),
      );
    };
    expect(judgeLevel(255)).toEqual([{ type: 'machine', atMs: 2500, cause: 'initial-silence' }]);
    expect(judgeLevel(256)).toEqual([{ type: 'machine', atMs: 1500, cause: 'long-greeting' }]);
  });

  it('decides once per stream', () => {
    const analyser = new AudioAnalyser();
    const first = verdicts(analyse(analyser, toMulaw(quiet(3000))));
    const later = verdicts(analyse(analyser, toMulaw(concat(voice(2000), quiet(3000)))));
    expect(first).toHaveLength(1);
    expect(later).toEqual([]);
  });
});

describe('synthetic calls', () => {
  it(
    '"Hello?" then silence: human, 800 ms after the word, in at least 99 % of 200 trials',
    () => {
      const report = runTrials(200, 1_000, (random) => {
        const leadMs = uniform(random, 200, 1500);
        const helloMs = uniform(random, 350, 700);
        const level = uniform(random, -28, -10);
        const signal = concat(silence(leadMs), spokenWord(random, helloMs, level), silence(2500));
        addNoise(signal, level - uniform(random, 25, 45), random);
        const found = verdicts(analyse(new AudioAnalyser(), toMulaw(signal)));
        const expectedAt = leadMs + helloMs + 800;
        const ok =
          found.length === 1 && found[0]?.type === 'human' && Math.abs((found[0]?.atMs ?? 0) - expectedAt) <= 60;
        return ok ? null : `word ${helloMs.toFixed(0)} ms at ${leadMs.toFixed(0)}: ${JSON.stringify(found)}`;
      });
      expectRate(report, 0.99, 'hello → human');
    },
    TRIALS_TIMEOUT_MS,
  );

  it(
    'a long greeting of several words: machine, in at least 99 % of 200 trials',
    () => {
      const report = runTrials(200, 2_000, (random) => {
        const level = uniform(random, -28, -10);
        const words = Array.from({ length: 6 + Math.floor(random() * 6) }, () =>
          concat(spokenWord(random, uniform(random, 180, 450), level), silence(uniform(random, 80, 250))),
        );
        const signal = concat(silence(uniform(random, 200, 1200)), ...words, silence(3000));
        addNoise(signal, level - uniform(random, 25, 45), random);
        const found = verdicts(analyse(new AudioAnalyser(), toMulaw(signal)));
        const ok =
          found.length === 1 &&
          found[0]?.type === 'machine' &&
          ['max-words', 'long-greeting'].includes(found[0]?.cause ?? '');
        return ok ? null : JSON.stringify(found);
      });
      expectRate(report, 0.99, 'greeting → machine');
    },
    TRIALS_TIMEOUT_MS,
  );
});
