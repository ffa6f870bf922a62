/**
 * Analyser options are checked before anything runs: every problem is
 * reported at once, with its path, in a VoiceMfaError coded
 * INVALID_CONFIGURATION.
 */
import { describe, expect, it } from 'vitest';
import {
  AudioAnalyser,
  type AudioAnalyserOptions,
  InvalidAudioConfigurationError,
  TONE_ZONES,
  type ToneZoneName,
} from '../../src/audio/index.js';
import { VoiceMfaError } from '../../src/errors.js';

function issuesOf(options: unknown): string[] {
  try {
    new AudioAnalyser(options as AudioAnalyserOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidAudioConfigurationError);
    expect(error).toBeInstanceOf(VoiceMfaError);
    expect((error as InvalidAudioConfigurationError).code).toBe('INVALID_CONFIGURATION');
    return (error as InvalidAudioConfigurationError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('expected an InvalidAudioConfigurationError');
}

describe('analyser options', () => {
  it('accept defaults, booleans and partial objects', () => {
    expect(() => new AudioAnalyser()).not.toThrow();
    expect(
      () => new AudioAnalyser({ sit: true, callProgress: false, dtmf: true, beep: { minDurationMs: 300 } }),
    ).not.toThrow();
    expect(
      () =>
        new AudioAnalyser({ callProgress: { zones: ['uk', TONE_ZONES.de] }, answeringMachine: { greetingMs: 2000 } }),
    ).not.toThrow();
  });

  it('refuse what is not an options object, and unknown options', () => {
    expect(issuesOf(null)).toEqual(['(options): must be an object']);
    expect(issuesOf({ amd: true, sit: 'yes' })).toEqual([
      '(options).amd: unknown option (known: sit, callProgress, answeringMachine, beep, dtmf)',
      'sit: must be true, false or an options object',
    ]);
    expect(issuesOf({ beep: { minFrequency: 500 } })).toEqual([
      'beep.minFrequency: unknown option; did you mean minFrequencyHz?',
    ]);
  });

  it('list every number out of range at once, with its unit', () => {
    expect(
      issuesOf({
        sit: { minLevelDbm0: 3 },
        answeringMachine: {
          greetingMs: 1500.5,
          maximumNumberOfWords: -1,
          silenceThreshold: 40_000,
          initialSilenceMs: Number.NaN,
        },
        dtmf: { normalTwistDb: 30 },
        callProgress: { toleranceFraction: 0.9 },
      }),
    ).toEqual([
      'sit.minLevelDbm0: must be a number from -70 to 0 dBm0',
      'callProgress.toleranceFraction: must be a number from 0.01 to 0.5',
      'answeringMachine.initialSilenceMs: must be a whole number from 1 to 60000 ms',
      'answeringMachine.greetingMs: must be a whole number from 1 to 60000 ms',
      'answeringMachine.maximumNumberOfWords: must be a whole number from 0 to 100',
      'answeringMachine.silenceThreshold: must be a whole number from 1 to 32767',
      'dtmf.normalTwistDb: must be a number from 0 to 20 dB',
    ]);
  });

  it('refuse a beep range that is empty', () => {
    expect(
      issuesOf({ beep: { minFrequencyHz: 1500, maxFrequencyHz: 1000, minDurationMs: 900, maxDurationMs: 800 } }),
    ).toEqual(['beep.maxFrequencyHz: must be above minFrequencyHz', 'beep.maxDurationMs: must be above minDurationMs']);
  });

  it('check zones: known names, no repeats, and tables that can be matched', () => {
    expect(issuesOf({ callProgress: { zones: [] } })).toEqual(['callProgress.zones: must list 1 to 16 zones']);
    expect(issuesOf({ callProgress: { zones: ['us', 'xx', 'us'] } })).toEqual([
      "callProgress.zones.1: unknown tone zone 'xx' (built in: us, uk, de, fr, cn, ru)",
      "callProgress.zones: lists 'us' twice",
    ]);
    const broken = {
      name: '',
      ringback: { frequenciesHz: [425, 425], cadenceMs: [1000, 4000] },
      busy: { frequenciesHz: [425, 480, 620], cadenceMs: [500] },
      reorder: { frequenciesHz: [5000], cadenceMs: [250, -250], level: 3 },
    };
    expect(issuesOf({ callProgress: { zones: [broken, 7] } })).toEqual([
      'callProgress.zones.0.name: must be a name of 1 to 64 characters',
      'callProgress.zones.0.ringback.frequenciesHz: must not list the same frequency twice',
      'callProgress.zones.0.busy.frequenciesHz: must list one frequency, or two played together',
      'callProgress.zones.0.busy.cadenceMs: must list on and off times in pairs, starting with on (2 to 8 numbers)',
      'callProgress.zones.0.reorder.level: unknown option (known: frequenciesHz, cadenceMs)',
      'callProgress.zones.0.reorder.frequenciesHz.0: must be a number from 100 to 3800 Hz',
      'callProgress.zones.0.reorder.cadenceMs.1: must be a number from 20 to 30000 ms',
      'callProgress.zones.1: must be a built-in zone name or { name, ringback, busy, reorder }',
    ]);
  });

  it("refuse a zone whose tones' frequencies are too close to be told apart, as nothing in it would ever be heard", () => {
    const zone = (reorderHz: number[]) => ({
      name: 'pbx',
      ringback: { frequenciesHz: [425, 480], cadenceMs: [1000, 4000] },
      busy: { frequenciesHz: [425], cadenceMs: [500, 500] },
      reorder: { frequenciesHz: reorderHz, cadenceMs: [250, 250] },
    });
    expect(issuesOf({ callProgress: { zones: [zone([440])] } })).toEqual([
      "callProgress.zones.0.reorder.frequenciesHz: 440 Hz is 15 Hz from ringback's 425 Hz; the frequencies of a zone's different tones must be at least 25 Hz apart to be told apart",
    ]);
    expect(issuesOf({ callProgress: { zones: [zone([450, 470])] } })).toEqual([
      "callProgress.zones.0.reorder.frequenciesHz: 470 Hz is 10 Hz from ringback's 480 Hz; the frequencies of a zone's different tones must be at least 25 Hz apart to be told apart",
    ]);
    // 25 Hz apart can be told apart (Australia plays 400+450 Hz ringback and a 425 Hz busy tone).
    expect(() => new AudioAnalyser({ callProgress: { zones: [zone([450])] } })).not.toThrow();
    // The same frequencies for several tones are no problem.
    expect(() => new AudioAnalyser({ callProgress: { zones: [zone([425, 480])] } })).not.toThrow();
  });

  it('refuse tolerances under which one tone of a zone, played exactly, would be heard as another', () => {
    expect(issuesOf({ callProgress: { zones: ['us', 'ru'], toleranceMs: 200 } })).toEqual([
      "callProgress.zones.1: ru's reorder tone (175/175 ms) would be heard as its busy tone (350/350 ms) within ±15 % or ±200 ms",
    ]);
    expect(issuesOf({ callProgress: { zones: ['uk'], toleranceFraction: 0.45 } })).toEqual([
      "callProgress.zones.0: uk's reorder tone (400/350/225/525 ms) would be heard as its busy tone (375/375 ms) within ±45 % or ±40 ms",
    ]);
    expect(issuesOf({ callProgress: { toleranceMs: 300 } })).toEqual([
      "callProgress: us's reorder tone (250/250 ms) would be heard as its busy tone (500/500 ms) within ±15 % or ±300 ms",
    ]);
    // A zone of the host's own whose reorder tone is its busy tone again.
    const office = {
      name: 'office',
      ringback: { frequenciesHz: [425], cadenceMs: [1000, 4000] },
      busy: { frequenciesHz: [425], cadenceMs: [500, 500] },
      reorder: { frequenciesHz: [425], cadenceMs: [520, 480] },
    };
    expect(issuesOf({ callProgress: { zones: [office] } })).toEqual([
      "callProgress.zones.0: office's reorder tone (520/480 ms) would be heard as its busy tone (500/500 ms) within ±15 % or ±40 ms",
    ]);
    // The built-in zones are told apart at the defaults, and at tolerances up to these.
    const zones = Object.keys(TONE_ZONES) as ToneZoneName[];
    expect(() => new AudioAnalyser({ callProgress: { zones } })).not.toThrow();
    expect(() => new AudioAnalyser({ callProgress: { zones, toleranceFraction: 0.3, toleranceMs: 80 } })).not.toThrow();
  });

  it('say what is wrong in the message', () => {
    expect(() => new AudioAnalyser({ dtmf: { minLevelDbm0: 5 } })).toThrow(
      'Invalid audio analyser options: dtmf.minLevelDbm0: must be a number from -70 to 0 dBm0',
    );
  });
});
