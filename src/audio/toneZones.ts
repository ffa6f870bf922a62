/**
 * Call-progress tones by country ("tone zones"): frequencies and on/off
 * cadences of ringback, busy and reorder (congestion), from Asterisk's
 * `indications.conf`.
 *
 * @module
 */

/**
 * Names of the built-in tone zones.
 *
 * @example
 * ```ts
 * const zone: ToneZoneName = 'uk';
 * ```
 */
export type ToneZoneName = 'us' | 'uk' | 'de' | 'fr' | 'cn' | 'ru';

/**
 * One call-progress tone: its frequencies (one, or two played together) and
 * its cadence as alternating on and off times, starting with on.
 *
 * @example
 * ```ts
 * const usBusy: ToneCadence = { frequenciesHz: [480, 620], cadenceMs: [500, 500] };
 * ```
 */
export interface ToneCadence {
  /** One frequency, or two played together (`480+620` in indications.conf). */
  frequenciesHz: readonly number[];
  /** On, off, on, off… in milliseconds; an even count, one period of the cadence. */
  cadenceMs: readonly number[];
}

/**
 * The tones of one country, as the analyser's `callProgress.zones` accepts
 * them; hosts may pass their own.
 *
 * @example
 * ```ts
 * // A private exchange with its own tones (the values are the host's).
 * const office: ToneZone = {
 *   name: 'office-pbx',
 *   ringback: { frequenciesHz: [425], cadenceMs: [1000, 3000] },
 *   busy: { frequenciesHz: [425], cadenceMs: [400, 400] },
 *   reorder: { frequenciesHz: [425], cadenceMs: [200, 200] },
 * };
 * new AudioAnalyser({ callProgress: { zones: ['de', office] } });
 * ```
 */
export interface ToneZone {
  name: string;
  ringback: ToneCadence;
  busy: ToneCadence;
  reorder: ToneCadence;
}

/**
 * The built-in zones: the United States (also Canada), the United Kingdom,
 * Germany, France, China and Russia.
 *
 * @example
 * ```ts
 * TONE_ZONES.de.busy; // { frequenciesHz: [425], cadenceMs: [480, 480] }
 * ```
 */
export const TONE_ZONES: Readonly<Record<ToneZoneName, ToneZone>> = {
  us: {
    name: 'us',
    ringback: { frequenciesHz: [440, 480], cadenceMs: [2000, 4000] },
    busy: { frequenciesHz: [480, 620], cadenceMs: [500, 500] },
    reorder: { frequenciesHz: [480, 620], cadenceMs: [250, 250] },
  },
  uk: {
    name: 'uk',
    ringback: { frequenciesHz: [400, 450], cadenceMs: [400, 200, 400, 2000] },
    busy: { frequenciesHz: [400], cadenceMs: [375, 375] },
    reorder: { frequenciesHz: [400], cadenceMs: [400, 350, 225, 525] },
  },
  de: {
    name: 'de',
    ringback: { frequenciesHz: [425], cadenceMs: [1000, 4000] },
    busy: { frequenciesHz: [425], cadenceMs: [480, 480] },
    reorder: { frequenciesHz: [425], cadenceMs: [240, 240] },
  },
  fr: {
    name: 'fr',
    ringback: { frequenciesHz: [440], cadenceMs: [1500, 3500] },
    busy: { frequenciesHz: [440], cadenceMs: [500, 500] },
    reorder: { frequenciesHz: [440], cadenceMs: [250, 250] },
  },
  cn: {
    name: 'cn',
    ringback: { frequenciesHz: [450], cadenceMs: [1000, 4000] },
    busy: { frequenciesHz: [450], cadenceMs: [350, 350] },
    reorder: { frequenciesHz: [450], cadenceMs: [700, 700] },
  },
  ru: {
    name: 'ru',
    ringback: { frequenciesHz: [425], cadenceMs: [1000, 4000] },
    busy: { frequenciesHz: [425], cadenceMs: [350, 350] },
    reorder: { frequenciesHz: [425], cadenceMs: [175, 175] },
  },
};
