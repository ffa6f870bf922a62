/**
 * Command-line arguments of `voice-mfa simulate`, turned into a scenario.
 * Every mistake is a usage error that quotes what was typed.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { type RequestIssue, VoiceMfaError } from '../errors.js';
import { SIT_KINDS, type SitKind } from '../machine/events.js';
import type { TargetInput, VerificationRequest } from '../machine/types.js';
import { toSupportedCountry } from '../phone/countryCodes.js';
import { splitExtension } from '../phone/extension.js';
import { checkFaultPlan, type FaultPlan } from '../providers/simulated/faults.js';
import { type CalleeScript, checkCalleeScript, type PromptResponse } from '../providers/simulated/scripts.js';
import { FRAUD_CODE_PATTERN } from '../request/normalizeRequest.js';
import { readPhoneNumber } from './phoneInput.js';
import type { Scenario } from './scenario.js';
import { FIRST_RING_MS, PIN_PATTERN, PIN_RULE, pinProblem, scenarioNameProblem } from './scenarioFile.js';

/** How a run is printed. */
export type OutputFormat = 'text' | 'json' | 'mermaid';

const FORMATS: readonly OutputFormat[] = ['text', 'json', 'mermaid'];

/** The user's own input, quoted back to them; JSON in single quotes, as it was typed in a shell. */
const quote = (text: string): string =>
  text.includes('"') && !text.includes("'") ? `'${text}'` : JSON.stringify(text);

const usageError = (message: string): VoiceMfaError => new VoiceMfaError('INVALID_CONFIGURATION', message);

/** Issues of a JSON flag as one line: `duplicate: must be …; stale: …`. */
const describeIssues = (issues: readonly RequestIssue[]): string =>
  issues.map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`)).join('; ');

/**
 * Reads `--format`; default `text`.
 *
 * @example
 * ```ts
 * parseFormat('mermaid'); // 'mermaid'
 * ```
 */
export function parseFormat(value: string | undefined): OutputFormat {
  const format = (value ?? 'text') as OutputFormat;
  if (!FORMATS.includes(format)) throw usageError(`--format ${quote(format)}: must be one of ${FORMATS.join(', ')}`);
  return format;
}

function parseResponses(spec: string): PromptResponse[] {
  return spec.split(',').map((part) => {
    if (part === 'hangup') return { hangUp: true };
    if (part === 'silence') return { silence: true };
    if (/^[0-9*#]+$/.test(part)) return { press: part };
    throw usageError(`${quote(part)} is not a response: use keys such as # or 1234#, "hangup" or "silence"`);
  });
}

function parseJsonCallee(spec: string): CalleeScript {
  let script: unknown;
  try {
    script = JSON.parse(spec);
  } catch (error) {
    throw usageError(`the callee script is not valid JSON: ${(error as Error).message}`);
  }
  const issues: RequestIssue[] = [];
  checkCalleeScript(script, '', issues, FIRST_RING_MS);
  if (issues.length > 0) throw usageError(`the callee script ${spec}: ${describeIssues(issues)}`);
  return script as CalleeScript;
}

function readSitKind(text: string): SitKind {
  if (!SIT_KINDS.includes(text as SitKind)) {
    throw usageError(`SIT kind ${quote(text)}: must be one of ${SIT_KINDS.join(', ')}`);
  }
  return text as SitKind;
}

/**
 * Reads a callee written on the command line: a JSON script, or a shorthand
 * such as `voicemail`, `busy`, `sit:intercept`, `intercept:vacant-code`, `answers:#`, `answers:1111#,4821#`,
 * `answers:hangup`, `carrier-failure:503`, `api-error:21217`.
 *
 * @example
 * ```ts
 * parseCallee('answers:#'); // { kind: 'answers', responses: [{ press: '#' }] }
 * ```
 */
export function parseCallee(spec: string): CalleeScript {
  if (spec.trimStart().startsWith('{')) return parseJsonCallee(spec);
  const [kind = '', detail] = spec.split(/:(.*)/s);
  switch (kind) {
    case 'voicemail':
    case 'busy':
    case 'invalid-number':
    case 'declines':
    case 'no-answer':
      // These take no detail: one would be ignored, and the callee would not do what was asked.
      if (detail !== undefined) {
        throw usageError(
          `callee ${quote(spec)}: ${kind} takes no detail; write a JSON script for more, e.g. {"kind":"${kind}",…}`,
        );
      }
      return { kind };
    case 'answers':
      return detail === undefined || detail === '' ? { kind } : { kind, responses: parseResponses(detail) };
    case 'sit':
      return { kind, sitKind: readSitKind(detail ?? 'unknown') };
    case 'intercept':
      return detail === undefined || detail === '' ? { kind } : { kind, sitKind: readSitKind(detail) };
    case 'carrier-failure': {
      // Three decimal digits: Number() would also read 0x1f5 or 5e2.
      const sipCode = detail === undefined ? 503 : /^[0-9]{3}$/.test(detail) ? Number(detail) : Number.NaN;
      if (!Number.isInteger(sipCode) || sipCode < 400 || sipCode > 699) {
        throw usageError(`SIP code ${quote(detail ?? '')}: must be 400–699`);
      }
      return { kind, sipCode };
    }
    case 'api-error':
      if (detail === undefined || detail === '')
        throw usageError('api-error needs a provider code, e.g. api-error:21217');
      return { kind, providerCode: detail };
    default:
      throw usageError(
        `unknown callee ${quote(spec)}: use voicemail, busy, no-answer, declines, invalid-number, sit[:kind], intercept[:kind], answers[:keys,…], carrier-failure[:sip], api-error:code or a JSON script`,
      );
  }
}

/** A parsed `simulate` command line. */
export interface SimulateArguments {
  format: OutputFormat;
  /** A scenario file to read instead of the flags. */
  file: string | null;
  scenario: Scenario | null;
  /** Print phone numbers in full; they are masked by default. */
  showNumbers: boolean;
}

/** Flags that describe the scenario, and so cannot be combined with `--file`. */
const SCENARIO_FLAGS = [
  'target',
  'country',
  'mode',
  'pin',
  'fraud-code',
  'amd',
  'provider-timeout',
  'faults',
  'seed',
  'name',
] as const;

interface TargetsRead {
  targets: TargetInput[];
  callees: Record<string, CalleeScript>;
}

/** Reads `--target NUMBER[xEXT][=CALLEE]` flags; each number must be one that can be dialled. */
function readTargets(specs: readonly string[], defaultCountry: string | null): TargetsRead {
  const targets: TargetInput[] = [];
  const callees: Record<string, CalleeScript> = {};
  // The --target that gave each number its callee: a number has one script, whichever call reaches it.
  const calleeGivenBy = new Map<string, string>();
  for (const spec of specs) {
    const [text = '', calleeSpec] = spec.split(/=(.*)/s);
    const { number, extension } = splitExtension(text);
    const target: TargetInput = extension === null ? text.trim() : { number, extension };
    const read = readPhoneNumber(target, defaultCountry);
    if (read.e164 === null) {
      const hint = defaultCountry === null && /\(INVALID_COUNTRY\)$/.test(read.problem) ? '; add --country CC' : '';
      throw usageError(`--target ${quote(spec)}: ${quote(text)} is not a phone number: ${read.problem}${hint}`);
    }
    targets.push(target);
    if (calleeSpec === undefined) continue;
    const earlier = calleeGivenBy.get(read.e164);
    if (earlier !== undefined) {
      throw usageError(
        `--target ${quote(spec)}: the callee of ${read.e164} was given already (--target ${quote(earlier)}); to call the number again, repeat it without =CALLEE`,
      );
    }
    calleeGivenBy.set(read.e164, spec);
    try {
      callees[read.e164] = parseCallee(calleeSpec);
    } catch (error) {
      if (!(error instanceof VoiceMfaError)) throw error;
      throw usageError(`--target ${quote(spec)}: ${error.message}`);
    }
  }
  return { targets, callees };
}

function readCountry(value: string | undefined): string | null {
  if (value === undefined) return null;
  const issues: RequestIssue[] = [];
  const country = toSupportedCountry(value, '--country', issues);
  if (country === null) throw usageError(describeIssues(issues));
  return country;
}

function readMode(mode: string | undefined, pin: string | undefined): VerificationRequest['mode'] {
  if (mode !== undefined && mode !== 'standard' && mode !== 'pin') {
    throw usageError(`--mode ${quote(mode)}: must be standard or pin`);
  }
  if (pin === undefined) {
    if (mode === 'pin') throw usageError('--mode pin needs --pin DIGITS, the PIN the callee must enter');
    return mode;
  }
  if (mode === 'standard')
    throw usageError('--pin is for PIN mode: leave out --mode standard (--pin alone means PIN mode)');
  if (!PIN_PATTERN.test(pin)) throw usageError(`--pin ${quote(pin)}: must be ${PIN_RULE}`);
  return 'pin';
}

function readFaults(value: string | undefined): FaultPlan | undefined {
  if (value === undefined) return undefined;
  let plan: unknown;
  try {
    plan = JSON.parse(value);
  } catch (error) {
    throw usageError(`--faults ${quote(value)}: not valid JSON: ${(error as Error).message}`);
  }
  const issues: RequestIssue[] = [];
  checkFaultPlan(plan, '', issues);
  if (issues.length > 0) throw usageError(`--faults ${quote(value)}: ${describeIssues(issues)}`);
  return plan as FaultPlan;
}

function readSeed(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seed = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(seed))
    throw usageError(`--seed ${quote(value)}: must be an integer`);
  return seed;
}

/**
 * Parses the arguments of `voice-mfa simulate`. Throws a `VoiceMfaError`
 * quoting the bad value for every mistake.
 *
 * @example
 * ```ts
 * parseSimulateArguments(['--target', '+14255550100=voicemail', '--target', '+14255550101=answers:#']);
 * parseSimulateArguments(['--country', 'GB', '--target', '07700 900123=answers:#']);
 * ```
 */
export function parseSimulateArguments(argv: readonly string[]): SimulateArguments {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      target: { type: 'string', multiple: true, short: 't' },
      country: { type: 'string' },
      mode: { type: 'string' },
      pin: { type: 'string' },
      'fraud-code': { type: 'string' },
      amd: { type: 'boolean' },
      'provider-timeout': { type: 'boolean' },
      faults: { type: 'string' },
      seed: { type: 'string' },
      file: { type: 'string', short: 'f' },
      format: { type: 'string' },
      name: { type: 'string' },
      'show-numbers': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  const format = parseFormat(values.format);
  const showNumbers = values['show-numbers'] === true;
  if (values.file !== undefined) {
    const extra = SCENARIO_FLAGS.filter((flag) => values[flag] !== undefined);
    if (extra.length > 0) {
      throw usageError(`--file holds the whole scenario: leave out ${extra.map((flag) => `--${flag}`).join(', ')}`);
    }
    return { format, file: values.file, scenario: null, showNumbers };
  }

  const defaultCountry = readCountry(values.country);
  const { targets, callees } = readTargets(values.target ?? [], defaultCountry);
  if (targets.length === 0) throw usageError('give at least one --target NUMBER[=CALLEE], or --file SCENARIO.json');

  const request: VerificationRequest = { targets };
  if (defaultCountry !== null) request.defaultCountry = defaultCountry;
  const mode = readMode(values.mode, values.pin);
  if (mode !== undefined) request.mode = mode;
  const fraudCode = values['fraud-code'];
  if (fraudCode !== undefined) {
    if (fraudCode !== 'off' && !FRAUD_CODE_PATTERN.test(fraudCode)) {
      throw usageError(`--fraud-code ${quote(fraudCode)}: must be 1–4 digits, or off`);
    }
    request.fraudCode = fraudCode === 'off' ? false : fraudCode;
  }
  const pinTrouble = values.pin === undefined ? null : pinProblem(values.pin, request.fraudCode);
  if (pinTrouble !== null) throw usageError(`--pin ${quote(values.pin ?? '')}: ${pinTrouble}`);
  const nameTrouble = values.name === undefined ? null : scenarioNameProblem(values.name);
  if (nameTrouble !== null) throw usageError(`--name ${quote(values.name ?? '')}: ${nameTrouble}`);
  if (values.amd === true) request.answeringMachineDetection = true;
  const faults = readFaults(values.faults);
  const seed = readSeed(values.seed);
  const scenario: Scenario = {
    name: values.name ?? 'simulated verification',
    request,
    callees,
    ...(values.pin === undefined ? {} : { pin: values.pin }),
    ...(faults === undefined ? {} : { faults }),
    ...(seed === undefined ? {} : { seed }),
    ...(values['provider-timeout'] === true
      ? { capabilities: { enforcesInputTimeout: true, reportsPromptEnd: false } }
      : {}),
  };
  return { format, file: null, scenario, showNumbers };
}
