/**
 * The audio analyser's options: which detectors run, with what parameters,
 * checked before anything runs. Every problem is collected, then thrown
 * together as an {@link InvalidAudioConfigurationError}.
 *
 * @module
 */
import type { RequestIssue } from '../errors.js';
import { listedOptionNames, unknownOptionIssues } from '../optionNames.js';
import { type AnsweringMachineOptions, DEFAULT_ANSWERING_MACHINE_OPTIONS } from './answeringMachineDetector.js';
import { type BeepOptions, DEFAULT_BEEP_OPTIONS } from './beepDetector.js';
import {
  type CallProgressOptions,
  confusedTones,
  DEFAULT_CALL_PROGRESS_OPTIONS,
  MIN_TONE_SPACING_HZ,
  type ResolvedCallProgressOptions,
  sameFrequencies,
} from './cadenceDetector.js';
import { DEFAULT_DTMF_OPTIONS, type DtmfOptions } from './dtmfDetector.js';
import { InvalidAudioConfigurationError } from './errors.js';
import { DEFAULT_SIT_OPTIONS, type SitOptions } from './sitDetector.js';
import { TONE_ZONES, type ToneCadence, type ToneZone, type ToneZoneName } from './toneZones.js';

/**
 * Which detectors an `AudioAnalyser` runs: `true` for the defaults, an
 * object to change some of them, `false` to leave the detector out (and save
 * its work). SIT, call-progress tones, answering-machine detection and beeps
 * run by default; DTMF does not.
 *
 * @example
 * ```ts
 * const options: AudioAnalyserOptions = {
 *   callProgress: { zones: ['uk'] },
 *   answeringMachine: { initialSilenceMs: 3000 },
 *   dtmf: true,
 * };
 * ```
 */
export interface AudioAnalyserOptions {
  /** Special information tones. Default on. */
  sit?: boolean | SitOptions;
  /** Busy, reorder and ringback by cadence. Default on, zone `us`. */
  callProgress?: boolean | CallProgressOptions;
  /** The app_amd answering-machine heuristic (human / machine). Default on. */
  answeringMachine?: boolean | AnsweringMachineOptions;
  /** Answering-machine beeps. Default on. */
  beep?: boolean | BeepOptions;
  /** Keys pressed, heard as DTMF tones. Default off. */
  dtmf?: boolean | DtmfOptions;
}

/** The options with defaults applied; `null` for a detector left out. */
interface ResolvedAnalyserOptions {
  sit: Required<SitOptions> | null;
  callProgress: ResolvedCallProgressOptions | null;
  answeringMachine: Required<AnsweringMachineOptions> | null;
  beep: Required<BeepOptions> | null;
  dtmf: Required<DtmfOptions> | null;
}

interface Range {
  min: number;
  max: number;
  integer?: boolean;
  unit?: string;
}

const LEVEL: Range = { min: -70, max: 0, unit: 'dBm0' };
const FREQUENCY: Range = { min: 100, max: 3800, unit: 'Hz' };
const AMD_DURATION: Range = { min: 1, max: 60_000, integer: true, unit: 'ms' };

const SIT_RANGES: Record<keyof SitOptions, Range> = { minLevelDbm0: LEVEL };
const CALL_PROGRESS_RANGES: Record<Exclude<keyof CallProgressOptions, 'zones'>, Range> = {
  toleranceFraction: { min: 0.01, max: 0.5 },
  toleranceMs: { min: 0, max: 1_000, unit: 'ms' },
  minLevelDbm0: LEVEL,
};
const ANSWERING_MACHINE_RANGES: Record<keyof AnsweringMachineOptions, Range> = {
  initialSilenceMs: AMD_DURATION,
  greetingMs: AMD_DURATION,
  afterGreetingSilenceMs: AMD_DURATION,
  totalAnalysisTimeMs: AMD_DURATION,
  minimumWordLengthMs: AMD_DURATION,
  betweenWordsSilenceMs: AMD_DURATION,
  maximumNumberOfWords: { min: 0, max: 100, integer: true },
  silenceThreshold: { min: 1, max: 32_767, integer: true },
  maximumWordLengthMs: AMD_DURATION,
};
const BEEP_RANGES: Record<keyof BeepOptions, Range> = {
  minFrequencyHz: FREQUENCY,
  maxFrequencyHz: FREQUENCY,
  minDurationMs: { min: 20, max: 60_000, unit: 'ms' },
  maxDurationMs: { min: 20, max: 60_000, unit: 'ms' },
  minLevelDbm0: LEVEL,
};
const DTMF_RANGES: Record<keyof DtmfOptions, Range> = {
  minLevelDbm0: LEVEL,
  normalTwistDb: { min: 0, max: 20, unit: 'dB' },
  reverseTwistDb: { min: 0, max: 20, unit: 'dB' },
};

const ZONE_SIGNALS = ['ringback', 'busy', 'reorder'] as const;
const CADENCE_LENGTH: Range = { min: 20, max: 30_000, unit: 'ms' };
const MAX_ZONES = 16;
const MAX_CADENCE_PARTS = 8;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const describeRange = ({ min, max, integer, unit }: Range): string =>
  `must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}${unit ? ` ${unit}` : ''}`;

function checkNumber(value: unknown, range: Range, path: string, issues: RequestIssue[]): value is number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= range.min &&
    value <= range.max &&
    (!range.integer || Number.isInteger(value));
  if (!ok) issues.push({ path, message: describeRange(range) });
  return ok;
}

function checkUnknownKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  path: string,
  issues: RequestIssue[],
) {
  issues.push(...unknownOptionIssues(value, listedOptionNames(known), path));
}

/**
 * A detector's numeric options: each checked against its range, defaults for
 * the ones not given; keys that are neither these nor `otherKeys` are issues.
 */
function resolveNumbers<T extends object>(
  value: Record<string, unknown>,
  ranges: Readonly<Record<string, Range>>,
  defaults: T,
  path: string,
  issues: RequestIssue[],
  otherKeys: readonly string[] = [],
): T {
  checkUnknownKeys(value, [...otherKeys, ...Object.keys(ranges)], path, issues);
  const resolved: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, range] of Object.entries(ranges)) {
    const given = value[key];
    if (given !== undefined && checkNumber(given, range, `${path}.${key}`, issues)) resolved[key] = given;
  }
  return resolved as T;
}

/** `undefined` → default on or off, `true` → defaults, `false` → off, an object → checked; anything else is an issue. */
function resolveSection<T>(
  value: unknown,
  path: string,
  onByDefault: boolean,
  resolve: (section: Record<string, unknown>) => T,
  issues: RequestIssue[],
): T | null {
  if (value === undefined) return onByDefault ? resolve({}) : null;
  if (value === false) return null;
  if (value === true) return resolve({});
  if (isRecord(value)) return resolve(value);
  issues.push({ path, message: 'must be true, false or an options object' });
  return null;
}

function checkCadence(value: unknown, path: string, issues: RequestIssue[]): void {
  if (!isRecord(value)) {
    issues.push({ path, message: 'must be { frequenciesHz, cadenceMs }' });
    return;
  }
  checkUnknownKeys(value, ['frequenciesHz', 'cadenceMs'], path, issues);
  const { frequenciesHz, cadenceMs } = value as Partial<Record<keyof ToneCadence, unknown>>;
  if (!Array.isArray(frequenciesHz) || frequenciesHz.length < 1 || frequenciesHz.length > 2) {
    issues.push({ path: `${path}.frequenciesHz`, message: 'must list one frequency, or two played together' });
  } else {
    for (const [i, frequency] of frequenciesHz.entries()) {
      checkNumber(frequency, FREQUENCY, `${path}.frequenciesHz.${i}`, issues);
    }
    if (frequenciesHz.length === 2 && frequenciesHz[0] === frequenciesHz[1]) {
      issues.push({ path: `${path}.frequenciesHz`, message: 'must not list the same frequency twice' });
    }
  }
  if (
    !Array.isArray(cadenceMs) ||
    cadenceMs.length < 2 ||
    cadenceMs.length > MAX_CADENCE_PARTS ||
    cadenceMs.length % 2 !== 0
  ) {
    issues.push({
      path: `${path}.cadenceMs`,
      message: `must list on and off times in pairs, starting with on (2 to ${MAX_CADENCE_PARTS} numbers)`,
    });
  } else {
    for (const [i, length] of cadenceMs.entries())
      checkNumber(length, CADENCE_LENGTH, `${path}.cadenceMs.${i}`, issues);
  }
}

/** Frequencies of different tones of a zone that the analyser could not tell apart: each reported once, against the first. */
function checkToneSpacing(zone: ToneZone, path: string, issues: RequestIssue[]): void {
  for (const [i, signal] of ZONE_SIGNALS.entries()) {
    const { frequenciesHz } = zone[signal];
    for (const frequency of frequenciesHz) {
      for (const earlier of ZONE_SIGNALS.slice(0, i)) {
        const others = zone[earlier].frequenciesHz;
        if (sameFrequencies(frequenciesHz, others)) continue;
        const close = others.find((other) => other !== frequency && Math.abs(other - frequency) < MIN_TONE_SPACING_HZ);
        if (close === undefined) continue;
        issues.push({
          path: `${path}.${signal}.frequenciesHz`,
          message: `${frequency} Hz is ${Number(Math.abs(close - frequency).toFixed(2))} Hz from ${earlier}'s ${close} Hz; the frequencies of a zone's different tones must be at least ${MIN_TONE_SPACING_HZ} Hz apart to be told apart`,
        });
        break;
      }
    }
  }
}

function resolveZone(value: unknown, path: string, issues: RequestIssue[]): ToneZone | null {
  if (typeof value === 'string') {
    if (Object.hasOwn(TONE_ZONES, value)) return TONE_ZONES[value as ToneZoneName];
    issues.push({ path, message: `unknown tone zone '${value}' (built in: ${Object.keys(TONE_ZONES).join(', ')})` });
    return null;
  }
  if (!isRecord(value)) {
    issues.push({ path, message: 'must be a built-in zone name or { name, ringback, busy, reorder }' });
    return null;
  }
  const before = issues.length;
  checkUnknownKeys(value, ['name', ...ZONE_SIGNALS], path, issues);
  if (typeof value.name !== 'string' || value.name.trim() === '' || value.name.length > 64) {
    issues.push({ path: `${path}.name`, message: 'must be a name of 1 to 64 characters' });
  }
  for (const signal of ZONE_SIGNALS) checkCadence(value[signal], `${path}.${signal}`, issues);
  if (issues.length === before) checkToneSpacing(value as unknown as ToneZone, path, issues);
  return issues.length === before ? (value as unknown as ToneZone) : null;
}

function resolveCallProgress(value: Record<string, unknown>, issues: RequestIssue[]): ResolvedCallProgressOptions {
  const path = 'callProgress';
  const before = issues.length;
  const numbers = resolveNumbers(value, CALL_PROGRESS_RANGES, DEFAULT_CALL_PROGRESS_OPTIONS, path, issues, ['zones']);
  const tolerancesValid = issues.length === before;
  if (value.zones === undefined) {
    if (tolerancesValid) for (const zone of numbers.zones) checkTonesApart(zone, numbers, path, issues);
    return numbers;
  }
  if (!Array.isArray(value.zones) || value.zones.length === 0 || value.zones.length > MAX_ZONES) {
    issues.push({ path: `${path}.zones`, message: `must list 1 to ${MAX_ZONES} zones` });
    return numbers;
  }
  const zones = value.zones.map((zone, i) => resolveZone(zone, `${path}.zones.${i}`, issues));
  const names = zones.flatMap((zone) => zone?.name ?? []);
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (repeated.length > 0) issues.push({ path: `${path}.zones`, message: `lists '${repeated[0]}' twice` });
  if (tolerancesValid) {
    for (const [i, zone] of zones.entries())
      if (zone !== null) checkTonesApart(zone, numbers, `${path}.zones.${i}`, issues);
  }
  return { ...numbers, zones: zones.flatMap((zone) => zone ?? []) };
}

const describeCadence = (tone: ToneCadence): string => `${tone.cadenceMs.join('/')} ms`;

/** Tones of a zone that its cadence matching, at the tolerances given, would take for one another. */
function checkTonesApart(
  zone: ToneZone,
  { toleranceFraction, toleranceMs }: { toleranceFraction: number; toleranceMs: number },
  path: string,
  issues: RequestIssue[],
): void {
  const tolerance = `±${Math.round(toleranceFraction * 1000) / 10} % or ±${toleranceMs} ms`;
  for (const { heard, as } of confusedTones(zone, toleranceFraction, toleranceMs)) {
    issues.push({
      path,
      message: `${zone.name}'s ${heard} tone (${describeCadence(zone[heard])}) would be heard as its ${as} tone (${describeCadence(zone[as])}) within ${tolerance}`,
    });
  }
}

/**
 * Checks analyser options and applies the defaults.
 *
 * @throws {@link InvalidAudioConfigurationError} listing every problem.
 */
export function resolveAnalyserOptions(options: unknown): ResolvedAnalyserOptions {
  const issues: RequestIssue[] = [];
  const given = options === undefined ? {} : options;
  if (!isRecord(given)) throw new InvalidAudioConfigurationError([{ path: '(options)', message: 'must be an object' }]);
  checkUnknownKeys(given, ['sit', 'callProgress', 'answeringMachine', 'beep', 'dtmf'], '(options)', issues);
  const resolved: ResolvedAnalyserOptions = {
    sit: resolveSection(
      given.sit,
      'sit',
      true,
      (v) => resolveNumbers(v, SIT_RANGES, DEFAULT_SIT_OPTIONS, 'sit', issues),
      issues,
    ),
    callProgress: resolveSection(
      given.callProgress,
      'callProgress',
      true,
      (v) => resolveCallProgress(v, issues),
      issues,
    ),
    answeringMachine: resolveSection(
      given.answeringMachine,
      'answeringMachine',
      true,
      (v) =>
        resolveNumbers(
          v,
          ANSWERING_MACHINE_RANGES,
          { ...DEFAULT_ANSWERING_MACHINE_OPTIONS },
          'answeringMachine',
          issues,
        ),
      issues,
    ),
    beep: resolveSection(
      given.beep,
      'beep',
      true,
      (v) => resolveNumbers(v, BEEP_RANGES, DEFAULT_BEEP_OPTIONS, 'beep', issues),
      issues,
    ),
    dtmf: resolveSection(
      given.dtmf,
      'dtmf',
      false,
      (v) => resolveNumbers(v, DTMF_RANGES, DEFAULT_DTMF_OPTIONS, 'dtmf', issues),
      issues,
    ),
  };
  const { beep } = resolved;
  if (beep && beep.minFrequencyHz >= beep.maxFrequencyHz) {
    issues.push({ path: 'beep.maxFrequencyHz', message: 'must be above minFrequencyHz' });
  }
  if (beep && beep.minDurationMs >= beep.maxDurationMs) {
    issues.push({ path: 'beep.maxDurationMs', message: 'must be above minDurationMs' });
  }
  if (issues.length > 0) throw new InvalidAudioConfigurationError(issues);
  return resolved;
}
