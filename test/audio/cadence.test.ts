/**
 * Busy, reorder and ringback told apart by cadence in each built-in zone:
 * the tones of TELEPHONY.md "Tone cadences" (written out here independently
 * of the library's table), synthesised across the tolerances — frequency
 * ±0.2 %, each tone and pause ±5 %, −10 to −30 dBm0 per frequency, white
 * noise down to 10 dB SNR — starting anywhere in the cadence.
 */
import { describe, expect, it } from 'vitest';
import {
  AudioAnalyser,
  type AudioDetection,
  type CallProgressToneType,
  TONE_ZONES,
  type ToneZone,
  type ToneZoneName,
} from '../../src/audio/index.js';
import {
  addNoise,
  analyse,
  concat,
  type RandomSource,
  renderSegments,
  type Segment,
  silence,
  toMulaw,
  uniform,
} from './signals.js';
import { describeDetections, expectRate, runTrials, TRIALS_TIMEOUT_MS } from './trials.js';

/** TELEPHONY.md "Tone cadences" (Asterisk indications.conf): frequencies, then on/off times. */
const REFERENCE: Record<ToneZoneName, Record<CallProgressToneType, [number[], number[]]>> = {
  us: {
    ringback: [
      [440, 480],
      [2000, 4000],
    ],
    busy: [
      [480, 620],
      [500, 500],
    ],
    reorder: [
      [480, 620],
      [250, 250],
    ],
  },
  uk: {
    ringback: [
      [400, 450],
      [400, 200, 400, 2000],
    ],
    busy: [[400], [375, 375]],
    reorder: [[400], [400, 350, 225, 525]],
  },
  de: { ringback: [[425], [1000, 4000]], busy: [[425], [480, 480]], reorder: [[425], [240, 240]] },
  fr: { ringback: [[440], [1500, 3500]], busy: [[440], [500, 500]], reorder: [[440], [250, 250]] },
  cn: { ringback: [[450], [1000, 4000]], busy: [[450], [350, 350]], reorder: [[450], [700, 700]] },
  ru: { ringback: [[425], [1000, 4000]], busy: [[425], [350, 350]], reorder: [[425], [175, 175]] },
};
const ZONES = Object.keys(REFERENCE) as ToneZoneName[];
const TYPES: CallProgressToneType[] = ['busy', 'reorder', 'ringback'];
const TRIALS_PER_CLASS = 200;

const isCallProgress = (d: AudioDetection): boolean =>
  d.type === 'busy' || d.type === 'reorder' || d.type === 'ringback';

/**
 * A tone as a switch plays it: from a random point of its cadence, each
 * tone and pause within ±5 %, for enough periods that four whole segments
 * (or a whole period) follow the first, cut one.
 */
function cadenceSignal(frequencies: number[], cadenceMs: number[], random: RandomSource): Float64Array {
  const level = uniform(random, -30, -10);
  const snrDb = uniform(random, 10, 40);
  const tones = frequencies.map((frequencyHz) => ({
    frequencyHz: frequencyHz * uniform(random, 0.998, 1.002),
    dbm0: level,
  }));
  const first = Math.floor(random() * cadenceMs.length);
  const count = Math.max(cadenceMs.length, 4) + 3;
  const segments: Segment[] = Array.from({ length: count }, (_, k) => {
    const index = (first + k) % cadenceMs.length;
    const nominal = cadenceMs[index] as number;
    const durationMs = nominal * uniform(random, 0.95, 1.05) * (k === 0 ? random() : 1);
    return { durationMs, tones: index % 2 === 0 ? tones : [] };
  });
  const signal = concat(silence(uniform(random, 0, 200)), renderSegments(segments, random));
  const combinedDbm0 = level + 10 * Math.log10(tones.length);
  return addNoise(signal, combinedDbm0 - snrDb, random);
}

describe('call-progress tones by cadence', () => {
  for (const zone of ZONES) {
    for (const type of TYPES) {
      it(
        `${zone} ${type}: told apart from the zone's other tones in at least 99 % of ${TRIALS_PER_CLASS} trials`,
        () => {
          const [frequencies, cadence] = REFERENCE[zone][type];
          const seedOffset = (ZONES.indexOf(zone) * 3 + TYPES.indexOf(type)) * 10_000;
          const report = runTrials(TRIALS_PER_CLASS, seedOffset, (random) => {
            const analyser = new AudioAnalyser({
              callProgress: { zones: [zone] },
              answeringMachine: false,
              beep: false,
            });
            const detections = analyse(analyser, toMulaw(cadenceSignal(frequencies, cadence, random)), {
              stop: isCallProgress,
            });
            const first = detections.find((d) => isCallProgress(d) || d.type === 'sit');
            return first?.type === type && first.zone === zone ? null : describeDetections(detections);
          });
          expectRate(report, 0.99, `${zone} ${type}`);
        },
        TRIALS_TIMEOUT_MS,
      );
    }
  }
});

describe('tone zones', () => {
  it('hold the reference frequencies and cadences', () => {
    for (const zone of ZONES) {
      for (const type of TYPES) {
        const [frequencies, cadence] = REFERENCE[zone][type];
        expect(TONE_ZONES[zone][type], `${zone} ${type}`).toEqual({ frequenciesHz: frequencies, cadenceMs: cadence });
      }
    }
  });

  it('a host can listen for its own zone, and for several zones at once', () => {
    const office: ToneZone = {
      name: 'office',
      ringback: { frequenciesHz: [523], cadenceMs: [800, 2400] },
      busy: { frequenciesHz: [523], cadenceMs: [300, 300] },
      reorder: { frequenciesHz: [523], cadenceMs: [120, 120] },
    };
    const busy = renderSegments(
      Array.from({ length: 8 }, (_, k) => ({
        durationMs: 300,
        tones: k % 2 === 0 ? [{ frequencyHz: 523, dbm0: -20 }] : [],
      })),
      () => 0.5,
    );
    const heard = analyse(new AudioAnalyser({ callProgress: { zones: ['de', office] } }), toMulaw(busy)).filter(
      isCallProgress,
    );
    expect(heard.map((d) => [d.type, 'zone' in d ? d.zone : ''])).toEqual([['busy', 'office']]);
  });

  it('reports a busy tone once while it goes on, with the time its matched cadence began', () => {
    const busy = renderSegments(
      Array.from({ length: 20 }, (_, k) => ({
        durationMs: 500,
        tones:
          k % 2 === 0
            ? [
                { frequencyHz: 480, dbm0: -20 },
                { frequencyHz: 620, dbm0: -20 },
              ]
            : [],
      })),
      () => 0.25,
    );
    const heard = analyse(new AudioAnalyser(), toMulaw(busy)).filter(isCallProgress);
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ type: 'busy', zone: 'us' });
    const { startMs, atMs } = heard[0] as { startMs: number; atMs: number };
    // The first tone began at 0 and is the first whole segment; four segments are 2 s.
    expect(Math.abs(startMs)).toBeLessThanOrEqual(10);
    expect(atMs).toBeGreaterThanOrEqual(2000);
    expect(atMs).toBeLessThanOrEqual(2100);
  });

  it('gives as startMs the start of a tone, also when the matched stretch began with a pause', () => {
    const tones = (frequencies: number[]) => frequencies.map((frequencyHz) => ({ frequencyHz, dbm0: -20 }));
    const play = (segments: Segment[]) =>
      analyse(new AudioAnalyser({ answeringMachine: false }), toMulaw(renderSegments(segments, () => 0.3))).filter(
        isCallProgress,
      );
    // Busy heard from the middle of a tone: the cut first tone (100 ms) matches nothing, so the cadence
    // is first matched on pause, tone, pause, tone, when the tone at 800 ms has ended.
    const busy = play([
      { durationMs: 200, tones: [] },
      { durationMs: 100, tones: tones([480, 620]) },
      ...Array.from({ length: 10 }, (_, k) => ({ durationMs: 500, tones: k % 2 === 0 ? [] : tones([480, 620]) })),
    ]);
    expect(busy).toHaveLength(1);
    expect(busy[0]).toMatchObject({ type: 'busy' });
    expect(Math.abs((busy[0] as { startMs: number }).startMs - 800)).toBeLessThanOrEqual(10);
    // Ringback heard from the end of a ring: matched on its pause and the next ring, which began at 4 500 ms.
    const ringback = play([
      { durationMs: 500, tones: tones([440, 480]) },
      { durationMs: 4000, tones: [] },
      { durationMs: 2000, tones: tones([440, 480]) },
      { durationMs: 1000, tones: [] },
    ]);
    expect(ringback).toHaveLength(1);
    expect(ringback[0]).toMatchObject({ type: 'ringback' });
    expect(Math.abs((ringback[0] as { startMs: number }).startMs - 4500)).toBeLessThanOrEqual(10);
  });
});
