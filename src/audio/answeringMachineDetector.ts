/**
 * Answering-machine detection on energy alone, a port of Asterisk's app_amd
 * (apps/app_amd.c). Audio is cut into 20 ms frames; a frame is silent when its
 * mean absolute amplitude is below `silenceThreshold` (Asterisk's
 * ast_dsp_silence). Runs of voice become words; a person says a short
 * greeting ("Hello?") and waits, a machine talks on. The verdict comes once.
 *
 * Decisions, in app_amd's order:
 * - silence reaching `initialSilenceMs` before any word: machine (`initial-silence`);
 * - silence reaching `afterGreetingSilenceMs` after a word: human (`after-greeting-silence`);
 * - one run of voice reaching `maximumWordLengthMs`: machine (`max-word-length`);
 * - more than `maximumNumberOfWords` words: machine (`max-words`);
 * - voice adding up to `greetingMs` once the greeting began: machine (`long-greeting`);
 * - `totalAnalysisTimeMs` reached without a decision: not sure (`too-long`).
 *
 * @module
 */
import type { AnsweringMachineCause, AnsweringMachineDetection, EmitDetection, HopDetector } from './detections.js';
import { SAMPLES_PER_MS, samplesToMs } from './sampleClock.js';
import { HOP_SAMPLES } from './toneBank.js';

/**
 * Parameters of the answering-machine heuristic, with app_amd's names and
 * defaults (amd.conf.sample and the `dflt…` values of apps/app_amd.c).
 *
 * @example
 * ```ts
 * new AudioAnalyser({ answeringMachine: { initialSilenceMs: 3000, maximumNumberOfWords: 3 } });
 * ```
 */
export interface AnsweringMachineOptions {
  /** Longest silence before the greeting; more is a machine. Default 2500. */
  initialSilenceMs?: number;
  /** Longest greeting (total voice); more is a machine. Default 1500. */
  greetingMs?: number;
  /** Silence after the greeting that makes it a human. Default 800. */
  afterGreetingSilenceMs?: number;
  /** Time after which the heuristic gives up (`not-sure`). Default 5000. */
  totalAnalysisTimeMs?: number;
  /** Shortest run of voice that counts as a word. Default 100. */
  minimumWordLengthMs?: number;
  /** Shortest silence that separates two words. Default 50. */
  betweenWordsSilenceMs?: number;
  /**
   * Most words a person's greeting has; one more is a machine. Default 2:
   * current app_amd decides MACHINE when the count *exceeds* 2. Older
   * releases had 3 and decided when the count *reached* it, so both call a
   * three-word greeting a machine.
   */
  maximumNumberOfWords?: number;
  /** Mean absolute amplitude (of 32 767) below which a frame is silence. Default 256. */
  silenceThreshold?: number;
  /** Longest single run of voice; more is a machine. Default 5000. */
  maximumWordLengthMs?: number;
}

/**
 * app_amd's defaults (amd.conf.sample; apps/app_amd.c `dfltInitialSilence` …
 * `dfltMaximumWordLength`).
 *
 * @example
 * ```ts
 * new AudioAnalyser({ answeringMachine: { ...DEFAULT_ANSWERING_MACHINE_OPTIONS, initialSilenceMs: 3500 } });
 * ```
 */
export const DEFAULT_ANSWERING_MACHINE_OPTIONS: Readonly<Required<AnsweringMachineOptions>> = {
  initialSilenceMs: 2500,
  greetingMs: 1500,
  afterGreetingSilenceMs: 800,
  totalAnalysisTimeMs: 5000,
  minimumWordLengthMs: 100,
  betweenWordsSilenceMs: 50,
  maximumNumberOfWords: 2,
  silenceThreshold: 256,
  maximumWordLengthMs: 5000,
};

/** app_amd judges whole frames as the channel delivers them; 20 ms is the usual frame. */
const FRAME_MS = 20;
const HOPS_PER_FRAME = (FRAME_MS * SAMPLES_PER_MS) / HOP_SAMPLES;

export class AnsweringMachineDetector implements HopDetector {
  /** Sums of absolute sample values of the frame's hops so far (an array, so that no number is boxed per hop). */
  private readonly hopAbsoluteSums = new Float64Array(HOPS_PER_FRAME);
  private hopsInFrame = 0;
  private decided = false;
  private totalMs = 0;
  private silenceMs = 0;
  private voiceMs = 0;
  private wordVoiceMs = 0;
  private words = 0;
  private inWord = true;
  private inInitialSilence = true;
  private inGreeting = false;

  constructor(private readonly options: Readonly<Required<AnsweringMachineOptions>>) {}

  onHop(hop: Float64Array, endSample: number, emit: EmitDetection): void {
    if (this.decided) return;
    let sum = 0;
    for (let n = 0; n < hop.length; n++) {
      const x = hop[n] as number;
      sum += x < 0 ? -x : x;
    }
    this.hopAbsoluteSums[this.hopsInFrame] = sum;
    if (++this.hopsInFrame < HOPS_PER_FRAME) return;
    this.hopsInFrame = 0;
    let frameSum = 0;
    for (let i = 0; i < HOPS_PER_FRAME; i++) frameSum += this.hopAbsoluteSums[i] as number;
    const silent = frameSum / (HOPS_PER_FRAME * HOP_SAMPLES) < this.options.silenceThreshold;
    const verdict = this.judgeFrame(silent);
    if (verdict !== null) {
      this.decided = true;
      const [type, cause] = verdict;
      emit({ type, atMs: samplesToMs(endSample), cause });
    }
  }

  /** One frame of app_amd's loop. */
  private judgeFrame(silent: boolean): [AnsweringMachineDetection['type'], AnsweringMachineCause] | null {
    const o = this.options;
    this.totalMs += FRAME_MS;
    if (this.totalMs >= o.totalAnalysisTimeMs) return ['not-sure', 'too-long'];
    // Consecutive silence, as ast_dsp_silence reports it.
    this.silenceMs = silent ? this.silenceMs + FRAME_MS : 0;
    if (silent) {
      if (this.silenceMs >= o.betweenWordsSilenceMs) {
        this.inWord = false;
        this.wordVoiceMs = 0;
      }
      if (this.inInitialSilence && this.silenceMs >= o.initialSilenceMs) return ['machine', 'initial-silence'];
      if (this.inGreeting && this.silenceMs >= o.afterGreetingSilenceMs) return ['human', 'after-greeting-silence'];
      return null;
    }
    this.wordVoiceMs += FRAME_MS;
    this.voiceMs += FRAME_MS;
    if (this.wordVoiceMs >= o.minimumWordLengthMs && !this.inWord) {
      this.words++;
      this.inWord = true;
    }
    if (this.wordVoiceMs >= o.maximumWordLengthMs) return ['machine', 'max-word-length'];
    if (this.words > o.maximumNumberOfWords) return ['machine', 'max-words'];
    if (this.inGreeting && this.voiceMs >= o.greetingMs) return ['machine', 'long-greeting'];
    if (this.wordVoiceMs >= o.minimumWordLengthMs && !this.inGreeting) {
      this.inInitialSilence = false;
      this.inGreeting = true;
    }
    return null;
  }
}
