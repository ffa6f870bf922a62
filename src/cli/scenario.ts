/**
 * A scenario: a verification request played against scripted callees on the
 * simulated carrier, on virtual time.
 *
 * @module
 */
import type { NumberCheckInput, NumberCheckResult } from '../machine/checks.js';
import type { VerificationResult } from '../machine/outcomes.js';
import type { VerificationRequest } from '../machine/types.js';
import type { FaultPlan } from '../providers/simulated/faults.js';
import type { ScriptedFault } from '../providers/simulated/scriptedFaults.js';
import type { CalleeScript } from '../providers/simulated/scripts.js';
import { type SimulatedCall, SimulatedCarrier } from '../providers/simulated/simulatedCarrier.js';
import type { ProviderCapabilities } from '../providers/types.js';
import { VirtualClock } from '../runtime/clock.js';
import type { VerificationObservation } from '../runtime/observations.js';
import { runVerification } from '../runtime/runVerification.js';
import { readPhoneNumber } from './phoneInput.js';

/**
 * One simulated verification, as plain JSON (a scenario file holds one).
 *
 * @example
 * ```json
 * {
 *   "name": "voicemail, then the backup approves",
 *   "request": { "targets": ["+14255550100", "+14255550101"] },
 *   "callees": {
 *     "+14255550100": { "kind": "voicemail" },
 *     "+14255550101": { "kind": "answers", "responses": [{ "press": "#" }] }
 *   }
 * }
 * ```
 */
export interface Scenario {
  name: string;
  request: VerificationRequest;
  /** Callee scripts by number: international, or national in the request's `defaultCountry`. */
  callees: Record<string, CalleeScript>;
  /** The right PIN, for PIN mode. Only the simulation's verifier sees it. */
  pin?: string;
  /** Random faults, drawn from `seed`. */
  faults?: FaultPlan;
  /** Deterministic faults: this event duplicated, that one dropped or late, this dial refused. */
  scriptedFaults?: ScriptedFault[];
  seed?: number;
  capabilities?: Partial<ProviderCapabilities>;
  /** The carrier listens to the calls' audio (the simulated carrier's `audioAnalysis`). */
  audioAnalysis?: boolean;
  /** Cancel the verification this many milliseconds after it started. */
  cancelAfterMs?: number;
}

/** What playing a scenario produced. */
export interface ScenarioRun {
  scenario: Scenario;
  result: VerificationResult;
  observations: VerificationObservation[];
  calls: SimulatedCall[];
}

/** How a scenario is played. */
export interface PlayScenarioOptions {
  /** The number check to use; default the library's default check. */
  checkNumber?: (input: NumberCheckInput) => NumberCheckResult | Promise<NumberCheckResult>;
  /** Mask phone numbers (`+1 425 ••• 0100`) in the observations and the result. Default true. */
  maskNumbers?: boolean;
}

/** The callees keyed as the carrier dials them, in E.164; a key that is no number is left for the carrier to refuse. */
function calleesByE164(callees: Record<string, CalleeScript>, defaultCountry: string | null) {
  return Object.fromEntries(
    Object.entries(callees).map(([number, script]) => [readPhoneNumber(number, defaultCountry).e164 ?? number, script]),
  );
}

/**
 * Plays a scenario on the simulated carrier, on virtual time. Phone numbers
 * are masked in what it returns unless `maskNumbers` is false.
 *
 * @example
 * ```ts
 * const run = await playScenario({
 *   name: 'approve',
 *   request: { targets: ['+14255550100'] },
 *   callees: { '+14255550100': { kind: 'answers', responses: [{ press: '#' }] } },
 * });
 * run.result.status; // 'approved'
 * ```
 */
export async function playScenario(scenario: Scenario, options: PlayScenarioOptions = {}): Promise<ScenarioRun> {
  const clock = new VirtualClock();
  const carrier = new SimulatedCarrier({
    clock,
    numbers: calleesByE164(scenario.callees, scenario.request.defaultCountry ?? null),
    ...(scenario.seed === undefined ? {} : { seed: scenario.seed }),
    ...(scenario.faults === undefined ? {} : { faults: scenario.faults }),
    ...(scenario.scriptedFaults === undefined ? {} : { scriptedFaults: scenario.scriptedFaults }),
    ...(scenario.capabilities === undefined ? {} : { capabilities: scenario.capabilities }),
    ...(scenario.audioAnalysis === undefined ? {} : { audioAnalysis: scenario.audioAnalysis }),
  });
  const observations: VerificationObservation[] = [];
  const controller = new AbortController();
  if (scenario.cancelAfterMs !== undefined) clock.setTimeout(() => controller.abort(), scenario.cancelAfterMs);
  const pin = scenario.pin;
  const result = await runVerification(scenario.request, {
    provider: carrier,
    clock,
    signal: controller.signal,
    verificationId: 'demo',
    maskNumbers: options.maskNumbers ?? true,
    onEvent: (observation) => observations.push(observation),
    ...(pin === undefined ? {} : { verifyPin: (entry: string) => entry === pin }),
    ...(options.checkNumber === undefined ? {} : { checkNumber: options.checkNumber }),
  });
  // Let the cancel timer, if it did not fire, go: nothing may be left running.
  await clock.runUntilIdle();
  return { scenario, result, observations, calls: carrier.calls };
}
