/**
 * Command-line arguments of `voice-mfa simulate`, turned into a scenario.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { VoiceMfaError } from '../errors.js';
import { SIT_KINDS, type SitKind } from '../machine/events.js';
import type { TargetInput, VerificationRequest } from '../machine/types.js';
import type { FaultPlan } from '../providers/simulated/faults.js';
import type { CalleeScript, PromptResponse } from '../providers/simulated/scripts.js';
import type { Scenario } from './scenario.js';

/** How a run is printed. */
export type OutputFormat = 'text' | 'json' | 'mermaid';

const FORMATS: readonly OutputFormat[] = ['text', 'json', 'mermaid'];

const invalid = (message: string): VoiceMfaError => new VoiceMfaError('INVALID_CONFIGURATION', message);

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
  if (!FORMATS.includes(format)) throw invalid(`--format must be one of ${FORMATS.join(', ')}`);
  return format;
}

function parseResponses(spec: string): PromptResponse[] {
  return spec.split(',').map((part) => {
    if (part === 'hangup') return { hangUp: true };
    if (part === 'silence') return { silence: true };
    if (/^[0-9*#]+$/.test(part)) return { press: part };
    throw invalid(`"${part}" is not a response: use keys such as # or 1234#, "hangup" or "silence"`);
  });
}

/**
 * Reads a callee written on the command line: a JSON script, or a shorthand
 * such as `voicemail`, `busy`, `sit:intercept`, `answers:#`, `answers:1111#,4821#`,
 * `answers:hangup`, `carrier-failure:503`, `api-error:21217`.
 *
 * @example
 * ```ts
 * parseCallee('answers:#'); // { kind: 'answers', responses: [{ press: '#' }] }
 * ```
 */
export function parseCallee(spec: string): CalleeScript {
  if (spec.trimStart().startsWith('{')) {
    try {
      return JSON.parse(spec) as CalleeScript;
    } catch (error) {
      throw invalid(`the callee script is not valid JSON: ${(error as Error).message}`);
    }
  }
  const [kind = '', detail] = spec.split(/:(.*)/s);
  switch (kind) {
    case 'voicemail':
    case 'busy':
    case 'invalid-number':
    case 'declines':
      return { kind };
    case 'no-answer':
      return { kind };
    case 'answers':
      return detail === undefined || detail === '' ? { kind } : { kind, responses: parseResponses(detail) };
    case 'sit': {
      const sitKind = (detail ?? 'unknown') as SitKind;
      if (!SIT_KINDS.includes(sitKind)) throw invalid(`SIT kind must be one of ${SIT_KINDS.join(', ')}`);
      return { kind, sitKind };
    }
    case 'carrier-failure': {
      const sipCode = detail === undefined ? 503 : Number(detail);
      if (!Number.isInteger(sipCode) || sipCode < 400 || sipCode > 699) throw invalid('the SIP code must be 400–699');
      return { kind, sipCode };
    }
    case 'api-error':
      if (detail === undefined || detail === '') throw invalid('api-error needs a provider code, e.g. api-error:21217');
      return { kind, providerCode: detail };
    default:
      throw invalid(
        `unknown callee "${spec}": use voicemail, busy, no-answer, declines, invalid-number, sit[:kind], answers[:keys,…], carrier-failure[:sip], api-error:code or a JSON script`,
      );
  }
}

/** A parsed `simulate` command line. */
export interface SimulateArguments {
  format: OutputFormat;
  /** A scenario file to read instead of the flags. */
  file: string | null;
  scenario: Scenario | null;
}

/**
 * Parses the arguments of `voice-mfa simulate`.
 *
 * @example
 * ```ts
 * parseSimulateArguments(['--target', '+14255550100=voicemail', '--target', '+14255550101=answers:#']);
 * ```
 */
export function parseSimulateArguments(argv: readonly string[]): SimulateArguments {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      target: { type: 'string', multiple: true, short: 't' },
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
    },
    strict: true,
    allowPositionals: false,
  });
  const format = parseFormat(values.format);
  if (values.file !== undefined) return { format, file: values.file, scenario: null };

  const targets: TargetInput[] = [];
  const callees: Record<string, CalleeScript> = {};
  for (const target of values.target ?? []) {
    const [number = '', callee] = target.split(/=(.*)/s);
    const [digits = '', extension] = number.split(/x(.*)/s);
    targets.push(extension === undefined ? digits : { number: digits, extension });
    if (callee !== undefined) callees[digits.replaceAll(/[\s().-]/g, '')] = parseCallee(callee);
  }
  if (targets.length === 0) throw invalid('give at least one --target NUMBER[=CALLEE], or --file scenario.json');

  const request: VerificationRequest = { targets };
  if (values.mode !== undefined) request.mode = values.mode as VerificationRequest['mode'];
  if (values['fraud-code'] !== undefined) {
    request.fraudCode = values['fraud-code'] === 'off' ? false : values['fraud-code'];
  }
  if (values.amd === true) request.answeringMachineDetection = true;
  let faults: FaultPlan | undefined;
  if (values.faults !== undefined) {
    try {
      faults = JSON.parse(values.faults) as FaultPlan;
    } catch (error) {
      throw invalid(`--faults is not valid JSON: ${(error as Error).message}`);
    }
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw invalid('--seed must be an integer');
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
  return { format, file: null, scenario };
}
