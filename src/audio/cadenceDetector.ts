/**
 * Busy, reorder and ringback told apart by cadence. Every 4 ms each zone
 * asks whether the last 256 samples are one of its tones: the tone's
 * frequencies hold at least 60 % of the window's energy, each of two mixed
 * frequencies at least 15 %, and the zone's other frequencies less than 10 %
 * (so 400+450 Hz ringback is not 400 Hz busy in the UK). Tone and pause
 * lengths between edges (debounced over 12 ms) are matched against each
 * cadence of the zone within a tolerance; pauses must be quiet, so speech
 * between two tones breaks the cadence. Busy and reorder need four matching
 * segments (two on/off periods, or one period of a four-part cadence), and
 * ringback two (one ring and its pause) — a period of four segments always.
 *
 * @module
 */
import type { CallProgressToneType, EmitDetection, HopDetector } from './detections.js';
import { dbm0ToPower } from './levels.js';
import { SAMPLES_PER_MS, samplesToMs } from './sampleClock.js';
import { HOP_SAMPLES, type ToneBank } from './toneBank.js';
import { TONE_ZONES, type ToneCadence, type ToneZone, type ToneZoneName } from './toneZones.js';

/**
 * Options of busy, reorder and ringback detection.
 *
 * @example
 * ```ts
 * new AudioAnalyser({ callProgress: { zones: ['uk'], toleranceFraction: 0.1 } });
 * ```
 */
export interface CallProgressOptions {
  /** Zones whose tones to listen for: built-in names or the host's own tables. Default `['us']`. */
  zones?: readonly (ToneZoneName | ToneZone)[];
  /**
   * How far a tone or pause may be from its nominal length, as a share of it. Default 0.15.
   * Tolerances under which one of a zone's tones would match another are refused.
   */
  toleranceFraction?: number;
  /** …or in milliseconds, whichever is larger (short pauses need it). Default 40. */
  toleranceMs?: number;
  /** Weakest tone heard, in dBm0 (of all its frequencies together). Default −40. */
  minLevelDbm0?: number;
}

/** {@link CallProgressOptions} with every default applied and zones resolved. */
export interface ResolvedCallProgressOptions {
  zones: readonly ToneZone[];
  toleranceFraction: number;
  toleranceMs: number;
  minLevelDbm0: number;
}

export const DEFAULT_CALL_PROGRESS_OPTIONS: ResolvedCallProgressOptions = {
  zones: [TONE_ZONES.us],
  toleranceFraction: 0.15,
  toleranceMs: 40,
  minLevelDbm0: -40,
};

const WINDOW_HOPS = 8;
const WINDOW_SAMPLES = WINDOW_HOPS * HOP_SAMPLES;
const PURITY = 0.6;
const COMPONENT_SHARE = 0.15;
const FOREIGN_SHARE = 0.1;
/**
 * Closest two frequencies of a zone's different tones may be. A tone 25 Hz from a filter leaves
 * about 5 % of its energy in it over the 32 ms window; 23 Hz and closer, over the FOREIGN_SHARE that
 * the other tones' frequencies may hold, so neither tone would ever count as playing.
 */
export const MIN_TONE_SPACING_HZ = 25;
/** See the SIT detector: the window centre is this far inside a tone when the window first counts as tone. */
const EDGE_OFFSET_SAMPLES = (PURITY - 0.5) * WINDOW_SAMPLES;
/** A change of state must last this many hops (12 ms) to count as an edge. */
const DEBOUNCE_HOPS = 3;
/** A pause must stay below this share of the tone's level, but for a few hops at its edges. */
const QUIET_SHARE = 0.3;
const LOUD_HOPS_ALLOWED = 6;
const LOUD_SHARE_ALLOWED = 0.1;
/** The loudness of a pause is read over the two hops (8 ms) at the centre of the 32 ms window, so it lines up with the tone decision. */
const CENTRE_HOP = WINDOW_HOPS / 2 - 1;

const SIGNAL_TYPES: readonly CallProgressToneType[] = ['busy', 'reorder', 'ringback'];
const MIN_SEGMENTS: Readonly<Record<CallProgressToneType, number>> = { busy: 4, reorder: 4, ringback: 2 };
const HISTORY = 16;
const HISTORY_MASK = HISTORY - 1;

interface Cadence {
  type: CallProgressToneType;
  lengths: Float64Array;
  segments: number;
}

const toCadence = (type: CallProgressToneType, tone: ToneCadence): Cadence => ({
  type,
  lengths: Float64Array.from(tone.cadenceMs, (ms) => ms * SAMPLES_PER_MS),
  segments: Math.max(tone.cadenceMs.length, MIN_SEGMENTS[type]),
});

/**
 * Whether the last segments of a ring of `pushed` lengths (the last one a tone when
 * `lastIsTone`) are a stretch of the cadence, at any phase of it.
 */
function isStretchOf(
  cadence: Cadence,
  lengths: Float64Array,
  pushed: number,
  lastIsTone: boolean,
  toleranceFraction: number,
  toleranceSamples: number,
): boolean {
  if (pushed < cadence.segments) return false;
  const period = cadence.lengths.length;
  for (let phase = lastIsTone ? 0 : 1; phase < period; phase += 2) {
    let all = true;
    for (let back = 0; back < cadence.segments && all; back++) {
      const heard = lengths[(pushed - 1 - back) & HISTORY_MASK] as number;
      const nominal = cadence.lengths[(((phase - back) % period) + period) % period] as number;
      all = Math.abs(heard - nominal) <= Math.max(toleranceFraction * nominal, toleranceSamples);
    }
    if (all) return true;
  }
  return false;
}

/** Whether `heard`, played exactly (ending at any of its phases), is a stretch of `as` within the tolerance. */
function soundsLike(heard: Cadence, as: Cadence, toleranceFraction: number, toleranceSamples: number): boolean {
  const period = heard.lengths.length;
  const ring = new Float64Array(HISTORY);
  for (let end = 0; end < period; end++) {
    for (let back = 0; back < HISTORY; back++) {
      ring[(HISTORY - 1 - back) & HISTORY_MASK] = heard.lengths[(((end - back) % period) + period) % period] as number;
    }
    if (isStretchOf(as, ring, HISTORY, end % 2 === 0, toleranceFraction, toleranceSamples)) return true;
  }
  return false;
}

/**
 * Pairs of a zone's tones on the same frequencies that the cadence matching could not keep
 * apart at these tolerances: `heard`, played exactly, would also match `as`. One entry a pair.
 */
export function confusedTones(
  zone: ToneZone,
  toleranceFraction: number,
  toleranceMs: number,
): { heard: CallProgressToneType; as: CallProgressToneType }[] {
  const toleranceSamples = toleranceMs * SAMPLES_PER_MS;
  const confused: { heard: CallProgressToneType; as: CallProgressToneType }[] = [];
  for (const [i, first] of SIGNAL_TYPES.entries()) {
    for (const second of SIGNAL_TYPES.slice(i + 1)) {
      if (!sameFrequencies(zone[first].frequenciesHz, zone[second].frequenciesHz)) continue;
      const firstCadence = toCadence(first, zone[first]);
      const secondCadence = toCadence(second, zone[second]);
      if (soundsLike(secondCadence, firstCadence, toleranceFraction, toleranceSamples)) {
        confused.push({ heard: second, as: first });
      } else if (soundsLike(firstCadence, secondCadence, toleranceFraction, toleranceSamples)) {
        confused.push({ heard: first, as: second });
      }
    }
  }
  return confused;
}

/** Follows the edges of one set of frequencies of a zone and matches the cadences played on it. */
class CadenceTracker {
  private on = false;
  private pendingHops = 0;
  private pendingCentre = 0;
  private segmentStart = 0;
  private segmentStartKnown = false;
  private segmentHops = 0;
  private loudHops = 0;
  private toneLevelSum = 0;
  private toneLevelHops = 0;
  private toneLevel = 0;
  private readonly lengths = new Float64Array(HISTORY);
  private readonly starts = new Float64Array(HISTORY);
  private pushed = 0;
  private reported: CallProgressToneType | null = null;

  constructor(
    private readonly bank: ToneBank,
    private readonly zone: string,
    private readonly cadences: readonly Cadence[],
    private readonly toleranceFraction: number,
    private readonly toleranceSamples: number,
  ) {}

  /** One window, centred at `centre`, in which this set's tone is playing or not; levels are read from the bank. */
  update(isOn: boolean, centre: number, endSample: number, emit: EmitDetection): void {
    this.segmentHops++;
    const { hopMeanSquare, windowMeanSquare } = this.bank;
    if (this.on) {
      this.toneLevelSum += windowMeanSquare[WINDOW_HOPS] as number;
      this.toneLevelHops++;
    } else if (this.toneLevel > 0) {
      const centreLevel = ((hopMeanSquare[CENTRE_HOP] as number) + (hopMeanSquare[CENTRE_HOP + 1] as number)) / 2;
      if (centreLevel > QUIET_SHARE * this.toneLevel) this.loudHops++;
    }
    if (isOn === this.on) {
      this.pendingHops = 0;
      return;
    }
    if (this.pendingHops === 0) this.pendingCentre = centre;
    if (++this.pendingHops >= DEBOUNCE_HOPS) this.changeState(endSample, emit);
  }

  private changeState(endSample: number, emit: EmitDetection): void {
    const edge = this.on ? this.pendingCentre + EDGE_OFFSET_SAMPLES : this.pendingCentre - EDGE_OFFSET_SAMPLES;
    if (this.on) {
      this.toneLevel = this.toneLevelSum / Math.max(1, this.toneLevelHops);
    }
    if (this.segmentStartKnown) {
      const pauseWasNoisy = !this.on && this.loudHops > LOUD_HOPS_ALLOWED + LOUD_SHARE_ALLOWED * this.segmentHops;
      if (pauseWasNoisy) this.forget();
      else this.record(this.segmentStart, edge - this.segmentStart, endSample, emit);
    }
    this.on = !this.on;
    this.segmentStart = edge;
    this.segmentStartKnown = true;
    this.segmentHops = this.pendingHops;
    this.pendingHops = 0;
    this.loudHops = 0;
    this.toneLevelSum = 0;
    this.toneLevelHops = 0;
  }

  private forget(): void {
    this.pushed = 0;
    this.reported = null;
  }

  private record(start: number, length: number, endSample: number, emit: EmitDetection): void {
    const slot = this.pushed & HISTORY_MASK;
    this.lengths[slot] = length;
    this.starts[slot] = start;
    this.pushed++;
    const lastIsTone = this.on;
    for (const cadence of this.cadences) {
      if (!isStretchOf(cadence, this.lengths, this.pushed, lastIsTone, this.toleranceFraction, this.toleranceSamples))
        continue;
      if (this.reported !== cadence.type) {
        this.reported = cadence.type;
        // The first tone of the stretch: when the stretch began with a pause, the segment after it.
        const firstIsTone = lastIsTone === (cadence.segments % 2 === 1);
        const first = this.pushed - cadence.segments + (firstIsTone ? 0 : 1);
        const firstStart = this.starts[first & HISTORY_MASK] as number;
        emit({ type: cadence.type, atMs: samplesToMs(endSample), startMs: samplesToMs(firstStart), zone: this.zone });
      }
      return;
    }
    this.reported = null;
  }
}

interface FrequencySet {
  /** Which of the zone's frequencies belong to the set. */
  members: Uint8Array;
  memberCount: number;
  tracker: CadenceTracker;
}

interface ZoneListener {
  bins: Int32Array;
  powers: Float64Array;
  sets: FrequencySet[];
}

export const sameFrequencies = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((frequency) => b.includes(frequency));

function listenTo(zone: ToneZone, bank: ToneBank, options: ResolvedCallProgressOptions): ZoneListener {
  const frequencies = [...new Set(SIGNAL_TYPES.flatMap((type) => zone[type].frequenciesHz))];
  const groups: { frequenciesHz: readonly number[]; cadences: Cadence[] }[] = [];
  for (const type of SIGNAL_TYPES) {
    const tone: ToneCadence = zone[type];
    const cadence = toCadence(type, tone);
    const group = groups.find((candidate) => sameFrequencies(candidate.frequenciesHz, tone.frequenciesHz));
    if (group) group.cadences.push(cadence);
    else groups.push({ frequenciesHz: tone.frequenciesHz, cadences: [cadence] });
  }
  return {
    bins: Int32Array.from(frequencies, (frequency) => bank.addFrequency(frequency)),
    powers: new Float64Array(frequencies.length),
    sets: groups.map((group) => ({
      members: Uint8Array.from(frequencies, (frequency) => (group.frequenciesHz.includes(frequency) ? 1 : 0)),
      memberCount: group.frequenciesHz.length,
      tracker: new CadenceTracker(
        bank,
        zone.name,
        group.cadences,
        options.toleranceFraction,
        options.toleranceMs * SAMPLES_PER_MS,
      ),
    })),
  };
}

export class CadenceDetector implements HopDetector {
  private readonly listeners: ZoneListener[];
  private readonly minPower: number;

  constructor(
    private readonly bank: ToneBank,
    options: ResolvedCallProgressOptions,
  ) {
    this.listeners = options.zones.map((zone) => listenTo(zone, bank, options));
    this.minPower = dbm0ToPower(options.minLevelDbm0);
  }

  onHop(_hop: Float64Array, endSample: number, emit: EmitDetection): void {
    const centre = endSample - WINDOW_SAMPLES / 2;
    // Indexed loops: no iterator per hop.
    for (let l = 0; l < this.listeners.length; l++) {
      const { bins, powers, sets } = this.listeners[l] as ZoneListener;
      this.bank.powers(bins, WINDOW_HOPS, powers);
      let active = -1;
      for (let s = 0; s < sets.length && active < 0; s++)
        if (this.isPlaying(sets[s] as FrequencySet, powers)) active = s;
      for (let s = 0; s < sets.length; s++)
        (sets[s] as FrequencySet).tracker.update(s === active, centre, endSample, emit);
    }
  }

  private isPlaying(set: FrequencySet, powers: Float64Array): boolean {
    const energy = this.bank.windowMeanSquare[WINDOW_HOPS] as number;
    let total = 0;
    for (let i = 0; i < powers.length; i++) {
      const power = powers[i] as number;
      if (set.members[i] === 1) {
        if (set.memberCount > 1 && power < COMPONENT_SHARE * energy) return false;
        total += power;
      } else if (power >= FOREIGN_SHARE * energy) {
        return false;
      }
    }
    return total >= this.minPower && total >= PURITY * energy;
  }
}
