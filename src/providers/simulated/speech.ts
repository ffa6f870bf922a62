/**
 * How long a prompt takes to play, so that simulated greetings end when a real
 * one would.
 *
 * @module
 */
import { EXTENSION_PAUSE_MS } from '../../machine/checks.js';
import type { PromptSegment } from '../../machine/types.js';
import { recentResults } from '../../phone/recentResults.js';

/** Speaking pace and recording length used for estimates. */
export interface SpeechTiming {
  /** Milliseconds per spoken word (text-to-speech at about 165 words a minute). */
  msPerWord: number;
  /** Pause after each segment. */
  segmentPauseMs: number;
  /** Length assumed for a recording (`{ play }`). */
  recordingMs: number;
}

/** Default speech timing. */
export const DEFAULT_SPEECH_TIMING: Readonly<SpeechTiming> = {
  msPerWord: 360,
  segmentPauseMs: 300,
  recordingMs: 4_000,
};

/**
 * Estimates how long segments take to play.
 *
 * @example
 * ```ts
 * estimatePlayDurationMs([{ say: 'Press the pound key to finish your verification.' }]); // 2820
 * ```
 */
export function estimatePlayDurationMs(
  segments: readonly PromptSegment[],
  timing: SpeechTiming = DEFAULT_SPEECH_TIMING,
): number {
  let total = 0;
  for (const segment of segments) {
    const spoken = 'say' in segment ? wordCount(segment.say) * timing.msPerWord : 0;
    total += ('play' in segment ? timing.recordingMs : spoken) + timing.segmentPauseMs;
  }
  return total;
}

/** Words of recent prompt texts: every verification says the same few. */
const recentWordCounts = recentResults<number>(256);

function wordCount(text: string): number {
  return recentWordCounts.recall(text, () => text.split(/\s+/).filter((word) => word !== '').length);
}

/**
 * How long sending DTMF digits takes: a tone and a gap per key, one second per comma.
 *
 * @example
 * ```ts
 * estimateDigitsDurationMs(',,1234'); // 2000 + 4 × 200
 * ```
 */
export function estimateDigitsDurationMs(digits: string, msPerKey = 200): number {
  let total = 0;
  for (const key of digits) total += key === ',' ? EXTENSION_PAUSE_MS : msPerKey;
  return total;
}
