/**
 * Signal levels in dBm0, the unit telephony specifications use, and their
 * values on the 16-bit linear scale that {@link decodeMulaw} produces.
 *
 * @module
 */

/**
 * Peak amplitude of a 0 dBm0 sine on the 16-bit linear scale. G.711 places
 * the μ-law overload point (8 159 in 14-bit units, 32 636 in 16-bit) at
 * +3.17 dBm0, so 0 dBm0 is 3.17 dB below it: about 22 657. The G.711
 * digital milliwatt decodes to this level.
 */
const ZERO_DBM0_PEAK = 32_636 / 10 ** (3.17 / 20);

/**
 * Peak amplitude, on the 16-bit linear scale, of a sine at `dbm0`.
 *
 * @example
 * ```ts
 * dbm0ToAmplitude(0);   // ≈ 22 657
 * dbm0ToAmplitude(-20); // ≈ 2 266, a typical call-progress tone
 * ```
 */
export function dbm0ToAmplitude(dbm0: number): number {
  return ZERO_DBM0_PEAK * 10 ** (dbm0 / 20);
}

/** Mean square (power) on the 16-bit linear scale of a sine at `dbm0`. */
export function dbm0ToPower(dbm0: number): number {
  const amplitude = dbm0ToAmplitude(dbm0);
  return (amplitude * amplitude) / 2;
}
