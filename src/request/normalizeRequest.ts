/**
 * Checking a verification request and filling in its defaults, before anything
 * starts.
 *
 * @module
 */
import { InvalidRequestError, type RequestIssue } from '../errors.js';
import { DEFAULT_PROMPTS } from '../machine/prompts.js';
import type {
  CallerIdConfig,
  InputTimeoutOwner,
  PromptInput,
  Prompts,
  TargetInput,
  Timing,
  VerificationInput,
  VerificationRequest,
} from '../machine/types.js';
import { optionNames, unknownFieldIssues, unknownOptionIssues } from '../optionNames.js';
import { resolveCallerId } from '../phone/callerId.js';
import { toSupportedCountry } from '../phone/countryCodes.js';
import { InvalidPhoneConfigurationError } from '../phone/errors.js';
import { isKeyableExtension } from '../phone/extension.js';
import { settingTextProblem, spokenTextProblem } from './text.js';

/**
 * Default timers and limits: the seed's 10 seconds after the greeting, three
 * invalid entries, and the 3 minutes NPS allows a whole verification.
 */
export const DEFAULT_TIMING: Readonly<Timing> = Object.freeze({
  ringTimeoutMs: 30_000,
  dialTimeoutMs: 90_000,
  endingGraceMs: 3_000,
  inputTimeoutMs: 10_000,
  maxInvalidEntries: 3,
  maxTotalMs: 180_000,
  promptWatchdogMs: 30_000,
  providerTimeoutGraceMs: 5_000,
});

// What most requests leave out, shared by their inputs (frozen: an input is never changed) rather than copied.
const NO_CALLER_ID: VerificationInput['callerId'] = Object.freeze({ default: null, byCountry: Object.freeze({}) });
const NOTHING_REPLACED = Object.freeze({});

/** An object the request filled, or the shared empty one when it filled nothing. */
const sharedWhenEmpty = <T extends object>(value: T): T =>
  Object.keys(value).length === 0 ? (NOTHING_REPLACED as T) : value;

/** Most targets a request may hold. */
export const MAX_TARGETS = 20;
/** The fraud code's form: 1–4 digits. */
export const FRAUD_CODE_PATTERN = /^[0-9]{1,4}$/;

/** The fraud code of a request that names none. */
export const DEFAULT_FRAUD_CODE = '0';

/** What the runtime knows besides the request. */
export interface NormalizeOptions {
  /** Clock reading at the start (milliseconds). Default 0. */
  startedAt?: number;
  /** Whether a PIN verifier was supplied; PIN mode needs one. */
  hasPinVerifier?: boolean;
  /** Whether the provider enforces the input timeout itself (e.g. Twilio's `<Gather timeout>`). */
  providerEnforcesInputTimeout?: boolean;
  /** Whether the provider offers answering-machine detection. */
  providerOffersMachineDetection?: boolean;
}

const NORMALIZE_OPTIONS = optionNames<NormalizeOptions>({
  startedAt: true,
  hasPinVerifier: true,
  providerEnforcesInputTimeout: true,
  providerOffersMachineDetection: true,
});

/** Every timing value is a whole number: the stores keep deadlines as integer milliseconds. */
const TIMING_LIMITS: Record<keyof Timing, { min: number; max: number }> = {
  ringTimeoutMs: { min: 1_000, max: 600_000 },
  dialTimeoutMs: { min: 1_000, max: 900_000 },
  endingGraceMs: { min: 0, max: 15_000 },
  inputTimeoutMs: { min: 1_000, max: 120_000 },
  maxInvalidEntries: { min: 1, max: 10 },
  maxTotalMs: { min: 1_000, max: 3_600_000 },
  promptWatchdogMs: { min: 1_000, max: 600_000 },
  providerTimeoutGraceMs: { min: 0, max: 60_000 },
};

const MAX_TEXT = 1_000;

type Issues = RequestIssue[];

/** Whether a value is a plain object (not `null`, not an array). */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The methods among `names` that `value` lacks (all of them when it is no object). */
export function missingMethods(value: unknown, names: readonly string[]): string[] {
  if (typeof value !== 'object' || value === null) return [...names];
  return names.filter((name) => typeof (value as Record<string, unknown>)[name] !== 'function');
}

/**
 * The issue of an option that must be an object with methods `names` (a
 * store, a clock, a provider), naming the methods it lacks; none when it has them.
 */
export function methodIssues(value: unknown, path: string, what: string, names: readonly string[]): RequestIssue[] {
  const missing = missingMethods(value, names);
  return missing.length === 0 ? [] : [{ path, message: `must be ${what}; it has no ${missing.join(', ')}` }];
}

const isText = (value: unknown, max = MAX_TEXT): value is string =>
  typeof value === 'string' && value.trim().length > 0 && value.length <= max;

/** Adds an issue for every key of `value` not in `known`, naming the field meant when one is close. */
export function unknownKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  path: string,
  issues: Issues,
): void {
  issues.push(...unknownFieldIssues(value, known, path));
}

function checkTargets(targets: unknown, issues: Issues): readonly TargetInput[] {
  if (!Array.isArray(targets) || targets.length === 0) {
    issues.push({ path: 'targets', message: 'at least one phone target is required' });
    return [];
  }
  if (targets.length > MAX_TARGETS) {
    issues.push({ path: 'targets', message: `at most ${MAX_TARGETS} targets are allowed, got ${targets.length}` });
  }
  // Every index, holes of a sparse list included (`forEach` would skip them), up to the limit: a longer list is refused anyway.
  for (let i = 0; i < Math.min(targets.length, MAX_TARGETS); i++) {
    const target: unknown = targets[i];
    const path = `targets.${i}`;
    if (typeof target === 'string') {
      if (!isText(target, 64))
        issues.push({ path, message: 'a phone number must be a non-empty string of at most 64 characters' });
      continue;
    }
    if (!isRecord(target)) {
      issues.push({ path, message: 'a target must be a phone number string or { number, extension? }' });
      continue;
    }
    unknownKeys(target, ['number', 'extension', 'label'], path, issues);
    if (!isText(target.number, 64))
      issues.push({ path: `${path}.number`, message: 'must be a non-empty string of at most 64 characters' });
    if (
      target.extension !== undefined &&
      !(typeof target.extension === 'string' && isKeyableExtension(target.extension))
    ) {
      issues.push({
        path: `${path}.extension`,
        message: 'must be 1–16 keys (0–9, *, #), optionally after commas (one-second pauses)',
      });
    }
    if (target.label !== undefined && !isText(target.label, 100)) {
      issues.push({ path: `${path}.label`, message: 'must be a non-empty string of at most 100 characters' });
    }
  }
  return targets as TargetInput[];
}

function checkPrompt(value: unknown, path: string, issues: Issues): void {
  const spoken = promptText(value);
  if (spoken === null) {
    issues.push({ path, message: 'must be text, { say: text } or { play: http(s) URL }' });
    return;
  }
  if (typeof value === 'string' && value.length > MAX_TEXT) {
    issues.push({ path, message: `must be at most ${MAX_TEXT} characters` });
    return;
  }
  const problem = spokenTextProblem(spoken);
  if (problem !== null) issues.push({ path, message: problem });
}

/** The text a prompt speaks, or the URL it plays; `null` for what is no prompt. */
function promptText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (isRecord(value) && Object.keys(value).length === 1) {
    if (typeof value.say === 'string' && value.say.length <= MAX_TEXT) return value.say;
    if (typeof value.play === 'string' && /^https?:\/\/\S+$/.test(value.play)) return value.play;
  }
  return null;
}

function checkTiming(timing: unknown, issues: Issues): Timing {
  if (timing === undefined) return DEFAULT_TIMING;
  if (!isRecord(timing)) {
    issues.push({ path: 'timing', message: 'must be an object' });
    return { ...DEFAULT_TIMING };
  }
  unknownKeys(timing, Object.keys(TIMING_LIMITS), 'timing', issues);
  const result = { ...DEFAULT_TIMING };
  for (const key of Object.keys(TIMING_LIMITS) as (keyof Timing)[]) {
    const value = timing[key];
    if (value === undefined) continue;
    const { min, max } = TIMING_LIMITS[key];
    if (!(typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max)) {
      const unit = key.endsWith('Ms') ? ' of milliseconds' : '';
      issues.push({
        path: `timing.${key}`,
        message: `must be a whole number${unit} from ${min} to ${max}, got ${String(value)}`,
      });
      continue;
    }
    result[key] = value;
  }
  // The dial's bound follows the ring time unless given: a minute for the queue and post-dial delay.
  if (timing.dialTimeoutMs === undefined) result.dialTimeoutMs = Math.min(900_000, result.ringTimeoutMs + 60_000);
  else if (result.dialTimeoutMs < result.ringTimeoutMs) {
    issues.push({
      path: 'timing.dialTimeoutMs',
      message: 'must be at least timing.ringTimeoutMs (the dial includes the ringing)',
    });
  }
  return result;
}

// Checked as the dialling policy checks its own, so a caller ID the policy would refuse never reaches the provider.
function checkCallerId(callerId: unknown, issues: Issues): VerificationInput['callerId'] {
  if (callerId === undefined) return NO_CALLER_ID;
  try {
    const checked = resolveCallerId(callerId as CallerIdConfig);
    return { default: checked.default ?? null, byCountry: checked.byCountry };
  } catch (error) {
    if (!(error instanceof InvalidPhoneConfigurationError)) throw error;
    issues.push(...error.issues);
    return NO_CALLER_ID;
  }
}

/**
 * Checks a verification request and fills in every default. Throws an
 * {@link InvalidRequestError} listing every problem, before anything starts.
 *
 * @example
 * ```ts
 * const input = normalizeVerificationRequest(
 *   { targets: ['+14255550100'], mode: 'pin' },
 *   { hasPinVerifier: true },
 * );
 * input.timing.inputTimeoutMs; // 10000
 * ```
 */
export function normalizeVerificationRequest(
  request: VerificationRequest,
  options: NormalizeOptions = {},
): VerificationInput {
  const issues: Issues = [];
  if (!isRecord(request)) throw new InvalidRequestError([{ path: '', message: 'the request must be an object' }]);
  if (typeof options !== 'object' || options === null) {
    throw new InvalidRequestError([{ path: 'options', message: 'must be an object: { startedAt?, … }' }]);
  }
  issues.push(...unknownOptionIssues(options as Record<string, unknown>, NORMALIZE_OPTIONS, 'options'));
  unknownKeys(
    request,
    [
      'targets',
      'mode',
      'fraudCode',
      'defaultCountry',
      'callerId',
      'prompts',
      'speech',
      'timing',
      'answeringMachineDetection',
    ],
    '',
    issues,
  );
  const targets = checkTargets(request.targets, issues);

  const mode = request.mode === undefined ? 'standard' : request.mode;
  if (mode !== 'standard' && mode !== 'pin') issues.push({ path: 'mode', message: "must be 'standard' or 'pin'" });
  if (mode === 'pin' && options.hasPinVerifier !== true) {
    issues.push({ path: 'mode', message: "PIN mode needs a PIN verifier (the 'verifyPin' option)" });
  }

  const fraudCodeIn = request.fraudCode === undefined ? DEFAULT_FRAUD_CODE : request.fraudCode;
  let fraudCode: string | null = null;
  if (fraudCodeIn === false) fraudCode = null;
  else if (typeof fraudCodeIn === 'string' && FRAUD_CODE_PATTERN.test(fraudCodeIn)) fraudCode = fraudCodeIn;
  else
    issues.push({
      path: 'fraudCode',
      message: `must be 1–4 digits (0–9) or false, got ${JSON.stringify(fraudCodeIn)}`,
    });

  // A country with no numbering plan would make every national-format target an invalid number.
  const defaultCountry =
    request.defaultCountry === undefined ? null : toSupportedCountry(request.defaultCountry, 'defaultCountry', issues);

  // Only the prompts the request replaces: the defaults are not copied into every verification's state.
  const prompts: Partial<Prompts> = {};
  if (request.prompts !== undefined) {
    if (!isRecord(request.prompts)) issues.push({ path: 'prompts', message: 'must be an object' });
    else {
      unknownKeys(request.prompts, Object.keys(DEFAULT_PROMPTS), 'prompts', issues);
      for (const key of Object.keys(DEFAULT_PROMPTS) as (keyof Prompts)[]) {
        const value = request.prompts[key];
        if (value === undefined) continue;
        checkPrompt(value, `prompts.${key}`, issues);
        prompts[key] = value as PromptInput;
      }
    }
  }

  const speech: VerificationInput['speech'] = {};
  if (request.speech !== undefined) {
    if (!isRecord(request.speech)) issues.push({ path: 'speech', message: 'must be an object' });
    else {
      unknownKeys(request.speech, ['language', 'voice'], 'speech', issues);
      for (const key of ['language', 'voice'] as const) {
        const value = request.speech[key];
        if (value === undefined) continue;
        const problem = isText(value, 64)
          ? settingTextProblem(value)
          : 'must be a non-empty string of at most 64 characters';
        if (problem === null) speech[key] = value as string;
        else issues.push({ path: `speech.${key}`, message: problem });
      }
    }
  }

  if (request.answeringMachineDetection !== undefined && typeof request.answeringMachineDetection !== 'boolean') {
    issues.push({ path: 'answeringMachineDetection', message: 'must be true or false' });
  }

  const timing = checkTiming(request.timing, issues);
  const callerId = checkCallerId(request.callerId, issues);

  const startedAt = options.startedAt ?? 0;
  if (!Number.isFinite(startedAt)) issues.push({ path: 'startedAt', message: 'must be a finite clock reading' });

  if (issues.length > 0) throw new InvalidRequestError(issues);

  const inputTimeoutOwner: InputTimeoutOwner = options.providerEnforcesInputTimeout === true ? 'provider' : 'machine';
  return {
    targets: [...targets],
    mode,
    fraudCode,
    defaultCountry,
    callerId,
    prompts: sharedWhenEmpty(prompts),
    speech: sharedWhenEmpty(speech),
    timing,
    machineDetection: request.answeringMachineDetection === true && options.providerOffersMachineDetection === true,
    inputTimeoutOwner,
    startedAt,
  };
}
