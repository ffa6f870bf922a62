/**
 * The simulated carrier listening to a call: its callee's line, 20 ms at a
 * time, through the real audio analyser, and what it heard as the machine
 * reads it (the same mapping a provider listening to real audio uses).
 *
 * @module
 */
import { AudioAnalyser } from '../../audio/audioAnalyser.js';
import type { AudioAnalyserOptions } from '../../audio/options.js';
import { SAMPLES_PER_MS } from '../../audio/sampleClock.js';
import type { ToneZoneName } from '../../audio/toneZones.js';
import { type HeardOnCall, readDetection } from '../heardOnCall.js';
import { CalleeLine } from './calleeAudio.js';
import type { CalleeScript } from './scripts.js';

/**
 * How the simulated carrier listens to its calls when audio analysis is on.
 *
 * @example
 * ```ts
 * const analysis: SimulatedAudioAnalysis = { zone: 'uk', analyser: { answeringMachine: { greetingMs: 2_000 } } };
 * ```
 */
export interface SimulatedAudioAnalysis {
  /** Whose ringback, busy and reorder tones the lines play and the analyser listens for. Default `us`. */
  zone?: ToneZoneName;
  /**
   * The analyser's options once a call is answered (before it, only special
   * information tones and call-progress tones are listened for). Call-progress
   * tones default to `zone`.
   */
  analyser?: AudioAnalyserOptions;
  /** Seed of the callees' voices and tone phases. Default 1. */
  seed?: number;
}

/**
 * Length of one frame, as Twilio Media Streams send them.
 *
 * @example
 * ```ts
 * clock.setTimeout(listen, LISTENING_FRAME_MS);
 * ```
 */
export const LISTENING_FRAME_MS = 20;

/** The analyser's options for one phase of a call. */
function analyserOptions(analysis: SimulatedAudioAnalysis, answered: boolean): AudioAnalyserOptions {
  const given = analysis.analyser ?? {};
  const callProgress =
    given.callProgress === undefined || given.callProgress === true
      ? { zones: [analysis.zone ?? 'us'] }
      : given.callProgress;
  if (answered) return { ...given, callProgress };
  // Early media: a person or a machine only speaks once the call is answered.
  return { sit: given.sit ?? true, callProgress, answeringMachine: false, beep: false, dtmf: false };
}

/**
 * Checks the options by building the analysers they describe.
 *
 * @throws the analyser's `InvalidAudioConfigurationError` when an option cannot work.
 *
 * @example
 * ```ts
 * checkAudioAnalysis({ analyser: { sit: { minLevelDbm0: 3 } } }); // throws: the level is above 0 dBm0
 * ```
 */
export function checkAudioAnalysis(analysis: SimulatedAudioAnalysis): void {
  new AudioAnalyser(analyserOptions(analysis, false));
  new AudioAnalyser(analyserOptions(analysis, true));
}

/**
 * One call's line as the carrier hears it: `listen` plays the next frame into
 * the analyser and returns what it heard that means something to the machine.
 *
 * @example
 * ```ts
 * const listener = new CallListener({ kind: 'intercept' }, {});
 * listener.answer();
 * for (let i = 0; i < 75; i++) heard.push(...listener.listen()); // 1.5 s: [{ kind: 'tone', tone: 'sit', sitKind: 'intercept' }]
 * ```
 */
export class CallListener {
  private readonly line: CalleeLine;
  private analyser: AudioAnalyser;
  private readonly frame = new Uint8Array(LISTENING_FRAME_MS * SAMPLES_PER_MS);

  constructor(
    script: CalleeScript,
    private readonly analysis: SimulatedAudioAnalysis,
  ) {
    this.line = new CalleeLine(script, {
      seed: analysis.seed ?? 1,
      ...(analysis.zone === undefined ? {} : { zone: analysis.zone }),
    });
    this.analyser = new AudioAnalyser(analyserOptions(analysis, false));
  }

  /** Whether the analyser judges a person or a machine once the call is answered (off when its options say so). */
  get hearsMachines(): boolean {
    return this.analysis.analyser?.answeringMachine !== false;
  }

  /** The call was answered: the line plays what the callee says, heard by a fresh analyser as a new stream would be. */
  answer(): void {
    this.line.setPhase('answered');
    this.analyser = new AudioAnalyser(analyserOptions(this.analysis, true));
  }

  /** Plays the next 20 ms of the line into the analyser. */
  listen(): HeardOnCall[] {
    const heard: HeardOnCall[] = [];
    for (const detection of this.analyser.pushMulaw(this.line.read(this.frame))) {
      const meaning = readDetection(detection);
      if (meaning !== null) heard.push(meaning);
    }
    return heard;
  }
}
