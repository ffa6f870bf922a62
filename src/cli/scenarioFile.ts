/**
 * Scenario files: JSON read and checked field by field, so that a mistake is
 * reported with the file's name and the path of the bad field
 * (`callees.+14255550101.kind: must be one of …`).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidRequestError, type RequestIssue, VoiceMfaError } from '../errors.js';
import { MAX_ENTRY_LENGTH } from '../machine/entry.js';
import { checkNumberField, DURATION, fieldPath } from '../providers/simulated/checks.js';
import { InvalidSimulationError } from '../providers/simulated/errors.js';
import { checkFaultPlan } from '../providers/simulated/faults.js';
import { checkScriptedFaults } from '../providers/simulated/scriptedFaults.js';
import { checkCalleeScript } from '../providers/simulated/scripts.js';
import { DEFAULT_CARRIER_TIMING, SIMULATED_CAPABILITIES } from '../providers/simulated/simulatedCarrier.js';
import {
  DEFAULT_FRAUD_CODE,
  isRecord,
  normalizeVerificationRequest,
  unknownKeys,
} from '../request/normalizeRequest.js';
import { CONTROL_CHARACTER } from '../request/text.js';
import { readPhoneNumber } from './phoneInput.js';
import type { Scenario } from './scenario.js';

/** The fields of a scenario file, in the order the docs list them. */
export const SCENARIO_FIELDS: readonly (keyof Scenario)[] = [
  'name',
  'request',
  'callees',
  'pin',
  'faults',
  'scriptedFaults',
  'seed',
  'capabilities',
  'audioAnalysis',
  'cancelAfterMs',
];

/** A PIN the callee can type: digits only, as long as an entry may be. */
export const PIN_PATTERN = new RegExp(`^[0-9]{1,${MAX_ENTRY_LENGTH}}$`);
/** {@link PIN_PATTERN} in words. */
export const PIN_RULE = `1–${MAX_ENTRY_LENGTH} digits (0–9)`;

/**
 * Why the callee could never enter `pin` where `fraudCode` is the request's, or
 * `null`: the fraud code is judged first, so a PIN equal to it reports fraud.
 * A PIN that only starts with it is judged as a PIN.
 */
export function pinProblem(pin: string, fraudCode: unknown): string | null {
  const inForce = fraudCode === undefined ? DEFAULT_FRAUD_CODE : fraudCode;
  if (pin !== inForce) return null;
  const which = fraudCode === undefined ? `${inForce}, the default` : inForce;
  return `is the fraud code (${which}): the callee typing it would report fraud; choose a PIN longer than the fraud code, or another fraud code`;
}

/** Why `name` cannot name a scenario, or `null`: it heads the output on one line (a Mermaid comment). */
export function scenarioNameProblem(name: unknown): string | null {
  if (!(typeof name === 'string' && name.trim() !== '')) return 'must be a non-empty string';
  return CONTROL_CHARACTER.test(name) ? 'must be one line, without control characters (a line break, a tab)' : null;
}

/** When the first ring comes after the dial on the scenario's carrier (default timing). */
export const FIRST_RING_MS = DEFAULT_CARRIER_TIMING.apiLatencyMs + DEFAULT_CARRIER_TIMING.postDialDelayMs;

function checkRequest(scenario: Record<string, unknown>, issues: RequestIssue[]): void {
  const { request } = scenario;
  if (request === undefined) {
    issues.push({
      path: 'request',
      message: 'is required: { targets: [...] } and the other fields of a verification request',
    });
    return;
  }
  const capabilities = isRecord(scenario.capabilities) ? scenario.capabilities : {};
  try {
    normalizeVerificationRequest(request as never, {
      // The scenario's own `pin` plays the verifier; its presence is checked below, in the scenario's words.
      hasPinVerifier: true,
      providerEnforcesInputTimeout: capabilities.enforcesInputTimeout === true,
      providerOffersMachineDetection: capabilities.machineDetection !== false,
    });
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error;
    for (const issue of error.issues) {
      // An issue of the whole request (not an object) has the empty path.
      const path = issue.path === '' ? 'request' : fieldPath('request', issue.path);
      issues.push({ path, message: issue.message });
    }
  }
  const mode = isRecord(request) ? request.mode : undefined;
  if (mode === 'pin' && scenario.pin === undefined) {
    issues.push({ path: 'pin', message: 'PIN mode needs the PIN the callee must enter, e.g. "pin": "4821"' });
  }
  if (mode !== 'pin' && scenario.pin !== undefined) {
    issues.push({ path: 'pin', message: 'is only used in PIN mode: set request.mode to "pin"' });
  }
}

function checkCallees(scenario: Record<string, unknown>, issues: RequestIssue[]): void {
  const { callees, request } = scenario;
  if (!isRecord(callees)) {
    issues.push({
      path: 'callees',
      message: 'must map phone numbers to callee scripts, e.g. { "+14255550100": { "kind": "busy" } }',
    });
    return;
  }
  const country = isRecord(request) && typeof request.defaultCountry === 'string' ? request.defaultCountry : null;
  const keyOf = new Map<string, string>();
  for (const [number, script] of Object.entries(callees)) {
    const path = fieldPath('callees', number);
    const { e164, problem } = readPhoneNumber(number, country);
    if (problem !== null) issues.push({ path, message: `the key is not a phone number: ${problem}` });
    const earlier = e164 === null ? undefined : keyOf.get(e164);
    if (earlier !== undefined) {
      issues.push({ path, message: `the same number as the key ${JSON.stringify(earlier)}: a number has one callee` });
    } else if (e164 !== null) keyOf.set(e164, number);
    checkCalleeScript(script, path, issues, FIRST_RING_MS);
  }
}

/**
 * Every problem of a scenario read from JSON, with the path of its field.
 *
 * @example
 * ```ts
 * checkScenario({ request: { targets: ['+14255550100'] }, callees: { '+14255550100': { kind: 'bussy' } } });
 * // [{ path: 'callees.+14255550100.kind', message: 'must be one of answers, voicemail, …, got "bussy"' }]
 * ```
 */
export function checkScenario(scenario: unknown): RequestIssue[] {
  const issues: RequestIssue[] = [];
  if (!isRecord(scenario))
    return [{ path: '', message: 'a scenario must be a JSON object: { name, request, callees, … }' }];
  unknownKeys(scenario, SCENARIO_FIELDS, '', issues);
  const nameProblem = scenario.name === undefined ? null : scenarioNameProblem(scenario.name);
  if (nameProblem !== null) issues.push({ path: 'name', message: nameProblem });
  checkRequest(scenario, issues);
  checkCallees(scenario, issues);
  if (scenario.pin !== undefined && !(typeof scenario.pin === 'string' && PIN_PATTERN.test(scenario.pin))) {
    issues.push({ path: 'pin', message: `must be ${PIN_RULE} as a string, e.g. "4821"` });
  } else if (typeof scenario.pin === 'string' && isRecord(scenario.request)) {
    const problem = pinProblem(scenario.pin, scenario.request.fraudCode);
    if (problem !== null) issues.push({ path: 'pin', message: problem });
  }
  if (scenario.faults !== undefined) checkFaultPlan(scenario.faults, 'faults', issues);
  if (scenario.scriptedFaults !== undefined) checkScriptedFaults(scenario.scriptedFaults, 'scriptedFaults', issues);
  const seedBounds = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, integer: true };
  checkNumberField(scenario.seed, 'seed', seedBounds, issues);
  checkNumberField(scenario.cancelAfterMs, 'cancelAfterMs', DURATION, issues);
  if (scenario.audioAnalysis !== undefined && typeof scenario.audioAnalysis !== 'boolean') {
    issues.push({ path: 'audioAnalysis', message: 'must be true or false' });
  }
  if (scenario.capabilities !== undefined) {
    if (!isRecord(scenario.capabilities)) issues.push({ path: 'capabilities', message: 'must be an object' });
    else {
      const known = Object.keys(SIMULATED_CAPABILITIES);
      unknownKeys(scenario.capabilities, known, 'capabilities', issues);
      for (const key of known) {
        const value = scenario.capabilities[key];
        if (value !== undefined && typeof value !== 'boolean') {
          issues.push({ path: fieldPath('capabilities', key), message: 'must be true or false' });
        }
      }
    }
  }
  return issues;
}

/**
 * Reads and checks a scenario file. Throws a `VoiceMfaError` naming the file
 * and every bad field when it cannot be played.
 *
 * @example
 * ```ts
 * const run = await playScenario(await readScenarioFile('examples/scenario.json'));
 * ```
 */
export async function readScenarioFile(file: string): Promise<Scenario> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? `not valid JSON: ${error.message}` : (error as Error).message;
    throw new VoiceMfaError('INVALID_CONFIGURATION', `cannot read ${file}: ${reason}`, { cause: error });
  }
  const issues = checkScenario(value);
  if (issues.length > 0) {
    const lines = issues.map((issue) => `  ${issue.path === '' ? '(the file)' : issue.path}: ${issue.message}`);
    throw new VoiceMfaError('INVALID_CONFIGURATION', `${file} is not a valid scenario:\n${lines.join('\n')}`, {
      cause: new InvalidSimulationError(issues),
    });
  }
  const scenario = value as Scenario;
  return { ...scenario, name: scenario.name ?? basename(file) };
}
