/**
 * The streaming analyser: what it reports does not depend on how the audio
 * is cut into frames or whether it arrives as μ-law or linear samples; its
 * times come from the count of samples; it allocates no result when there is
 * nothing to report; detectors left out stay silent.
 */
import { describe, expect, it } from 'vitest';
import { AudioAnalyser, type AudioAnalyserOptions, type AudioDetection, decodeMulaw } from '../../src/audio/index.js';
import { createSeededRandom } from '../../src/providers/simulated/random.js';
import { addNoise, concat, dtmfSegments, renderSegments, silence, spokenWord, toMulaw } from './signals.js';

const random = createSeededRandom(42);
const sit = renderSegments(
  [
    { durationMs: 274, tones: [{ frequencyHz: 913.8, dbm0: -20 }] },
    { durationMs: 274, tones: [{ frequencyHz: 1370.6, dbm0: -20 }] },
    { durationMs: 380, tones: [{ frequencyHz: 1776.7, dbm0: -20 }] },
  ],
  random,
);
const busy = renderSegments(
  Array.from({ length: 8 }, (_, k) => ({
    durationMs: 500,
    tones: k % 2 === 0 ? [480, 620].map((frequencyHz) => ({ frequencyHz, dbm0: -20 })) : [],
  })),
  random,
);
const keys = renderSegments(dtmfSegments('42#', { onMs: 60, offMs: 60, rowDbm0: -12, columnDbm0: -12 }), random);
/** A little of everything the analyser knows, in one call's worth of audio. */
const mixture = addNoise(
  concat(silence(700), spokenWord(random, 400, -18), silence(1200), sit, silence(500), keys, silence(400), busy),
  -55,
  random,
);
const audio = toMulaw(mixture);
const options: AudioAnalyserOptions = { dtmf: true };

function inFrames(bytes: Uint8Array, frameBytes: number, analyserOptions = options): AudioDetection[] {
  const analyser = new AudioAnalyser(analyserOptions);
  const found: AudioDetection[] = [];
  for (let at = 0; at < bytes.length; at += frameBytes)
    found.push(...analyser.pushMulaw(bytes.subarray(at, at + frameBytes)));
  return found;
}

describe('AudioAnalyser', () => {
  const reference = inFrames(audio, 160);

  it('hears every kind of thing in the mixture', () => {
    expect(reference.map((d) => d.type)).toEqual(['human', 'sit', 'dtmf', 'dtmf', 'dtmf', 'busy']);
  });

  it('reports the same, at the same times, whatever the frame size', () => {
    for (const frameBytes of [1, 7, 32, 333, 4096, audio.length]) {
      expect(inFrames(audio, frameBytes), `${frameBytes}-byte frames`).toEqual(reference);
    }
  });

  it('reports the same for the decoded linear samples', () => {
    const analyser = new AudioAnalyser(options);
    const samples = decodeMulaw(audio);
    const found: AudioDetection[] = [];
    for (let at = 0; at < samples.length; at += 160) found.push(...analyser.pushLinear(samples.subarray(at, at + 160)));
    expect(found).toEqual(reference);
  });

  it('counts time in samples: the same audio one second later is reported exactly 1 000 ms later', () => {
    const withoutVerdicts: AudioAnalyserOptions = { dtmf: true, answeringMachine: false };
    const shift = (detection: AudioDetection): AudioDetection => {
      const moved: Record<string, unknown> = { ...detection };
      for (const key of ['atMs', 'startMs', 'endMs'])
        if (typeof moved[key] === 'number') moved[key] = (moved[key] as number) + 1000;
      return moved as unknown as AudioDetection;
    };
    const early = inFrames(audio, 160, withoutVerdicts);
    const late = inFrames(toMulaw(concat(silence(1000), mixture)), 160, withoutVerdicts);
    expect(late).toEqual(early.map(shift));
  });

  it('still hears a SIT, at the right time, after an hour of silence', () => {
    const analyser = new AudioAnalyser({ answeringMachine: false });
    const quietFrame = new Uint8Array(160).fill(0xff);
    const hourOfFrames = 60 * 60 * 50;
    for (let i = 0; i < hourOfFrames; i++) analyser.pushMulaw(quietFrame);
    const found = analyser.pushMulaw(toMulaw(concat(sit, silence(300))));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ type: 'sit', code: 'IC' });
    expect(Math.abs((found[0] as { startMs: number }).startMs - 3_600_000)).toBeLessThanOrEqual(10);
  });

  it('keeps count of the audio it was given, the samples waiting for the rest of their hop included', () => {
    const analyser = new AudioAnalyser();
    analyser.pushMulaw(new Uint8Array(160).fill(0xff));
    analyser.pushLinear(new Int16Array(77));
    expect(analyser.sampleCount).toBe(237);
    expect(analyser.elapsedMs).toBeCloseTo(29.625, 6);
    analyser.pushMulaw(new Uint8Array(1).fill(0xff));
    expect(analyser.sampleCount).toBe(238);
  });

  it('reports each detection no later than the audio given by the push that returns it', () => {
    const analyser = new AudioAnalyser({ dtmf: true });
    let heard = 0;
    for (let at = 0; at < audio.length; at += 37) {
      for (const detection of analyser.pushMulaw(audio.subarray(at, at + 37))) {
        heard++;
        expect(detection.atMs).toBeLessThanOrEqual(analyser.elapsedMs);
      }
    }
    expect(heard).toBeGreaterThan(3);
  });

  it('returns one shared, frozen empty list while there is nothing to report', () => {
    const analyser = new AudioAnalyser();
    const first = analyser.pushMulaw(new Uint8Array(160).fill(0xff));
    const second = analyser.pushMulaw(new Uint8Array(160).fill(0xff));
    expect(first).toEqual([]);
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(analyser.pushMulaw(new Uint8Array(0))).toBe(first);
  });

  it('reports nothing from detectors left out, and no keys unless asked', () => {
    const found = inFrames(audio, 160, { sit: false, callProgress: false, answeringMachine: false, beep: false });
    expect(found).toEqual([]);
    expect(inFrames(audio, 160, {}).some((d) => d.type === 'dtmf')).toBe(false);
  });
});
