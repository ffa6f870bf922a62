/**
 * The sample clock: audio analysis runs at the telephone rate of 8 000
 * samples per second (G.711, Twilio Media Streams), and every time it reports
 * is derived from a count of samples, never from a wall clock.
 *
 * @module
 */

/**
 * Samples per second of the audio the analyser accepts (G.711 narrowband).
 *
 * @example
 * ```ts
 * const twentyMsFrame = SAMPLE_RATE_HZ / 50; // 160 samples
 * ```
 */
export const SAMPLE_RATE_HZ = 8_000;

/** Samples per millisecond at {@link SAMPLE_RATE_HZ}. */
export const SAMPLES_PER_MS = SAMPLE_RATE_HZ / 1_000;

/** Milliseconds from the stream start for a sample position, rounded to whole milliseconds. */
export const samplesToMs = (samples: number): number => Math.round(samples / SAMPLES_PER_MS);
