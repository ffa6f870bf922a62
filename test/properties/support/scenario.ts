/**
 * A property-test scenario: one verification request, a scripted callee per
 * target, a fault plan, and how to play it on the simulated carrier on virtual
 * time. Scenarios are plain data so that fast-check can print and shrink them.
 */
import {
  type CalleeScript,
  type CarrierTiming,
  createNumberCheck,
  type FaultPlan,
  type FaultRecord,
  type Prompts,
  type ProviderCapabilities,
  runVerification,
  type SimulatedCall,
  SimulatedCarrier,
  type VerificationObservation,
  type VerificationRequest,
  type VerificationResult,
  VirtualClock,
} from '../../../src/index.js';

/** A target that is called and follows a script. */
export interface CalledTarget {
  kind: 'called';
  number: string;
  /** Extension digits sent after the answer. */
  extension: string | null;
  script: CalleeScript;
}

/** A target the library's number check refuses as written, e.g. `+1 42`. */
export interface InvalidTextTarget {
  kind: 'invalid-text';
  text: string;
}

/** A well-formed number the default dialling policy refuses (premium rate). */
export interface BlockedTarget {
  kind: 'blocked';
  number: string;
}

export type TargetSpec = CalledTarget | InvalidTextTarget | BlockedTarget;

/** North American premium-rate numbers: refused by the default dialling policy. */
export const PREMIUM_RATE_PREFIX = '+1900';

/** Carrier timing the oracle also reads; speech is recordings of a fixed length. */
export interface ScenarioCarrierTiming {
  apiLatencyMs: number;
  postDialDelayMs: number;
  machineDetectionMs: number;
  /** Length of every recorded prompt segment (the prompts are all recordings). */
  segmentMs: number;
}

export interface Scenario {
  targets: TargetSpec[];
  mode: 'standard' | 'pin';
  /** The right PIN (PIN mode); long enough that it never appears by accident. */
  pin: string;
  /** `undefined`: the default fraud code `0`. */
  fraudCode: string | false | undefined;
  timing: {
    inputTimeoutMs: number;
    maxInvalidEntries: number;
    ringTimeoutMs: number;
    dialTimeoutMs?: number;
    maxTotalMs?: number;
    providerTimeoutGraceMs?: number;
  };
  answeringMachineDetection: boolean;
  capabilities: Partial<ProviderCapabilities>;
  carrier: ScenarioCarrierTiming;
  faults: FaultPlan | null;
  seed: number;
  /** Cancel (AbortSignal) this long after the start. */
  cancelAfterMs: number | null;
  /** How the host checks the PIN; `unavailable` always fails (a wrong PIN, for the machine). */
  pinVerifier: 'sync' | 'async' | 'unavailable';
}

/** Every prompt as a recording, so that its length is known without counting words. */
export const RECORDED_PROMPTS: Prompts = {
  welcome: { play: 'https://prompts.example/welcome.wav' },
  standard: { play: 'https://prompts.example/standard.wav' },
  pin: { play: 'https://prompts.example/pin.wav' },
  fraudHint: { play: 'https://prompts.example/fraud-hint.wav' },
  extension: { play: 'https://prompts.example/extension.wav' },
  invalidEntry: { play: 'https://prompts.example/invalid-entry.wav' },
  incorrectPin: { play: 'https://prompts.example/incorrect-pin.wav' },
  approved: { play: 'https://prompts.example/approved.wav' },
  fraudReported: { play: 'https://prompts.example/fraud-reported.wav' },
  denied: { play: 'https://prompts.example/denied.wav' },
};

export function targetInput(target: TargetSpec): VerificationRequest['targets'][number] {
  switch (target.kind) {
    case 'called':
      return target.extension === null ? target.number : { number: target.number, extension: target.extension };
    case 'invalid-text':
      return target.text;
    case 'blocked':
      return target.number;
  }
}

export function toRequest(scenario: Scenario): VerificationRequest {
  return {
    targets: scenario.targets.map(targetInput),
    mode: scenario.mode,
    ...(scenario.fraudCode === undefined ? {} : { fraudCode: scenario.fraudCode }),
    timing: scenario.timing,
    answeringMachineDetection: scenario.answeringMachineDetection,
    prompts: RECORDED_PROMPTS,
  };
}

export function toCallees(scenario: Scenario): Record<string, CalleeScript> {
  const callees: Record<string, CalleeScript> = {};
  for (const target of scenario.targets) if (target.kind === 'called') callees[target.number] = target.script;
  return callees;
}

export function toCarrierTiming(scenario: Scenario): Partial<CarrierTiming> {
  return {
    apiLatencyMs: scenario.carrier.apiLatencyMs,
    postDialDelayMs: scenario.carrier.postDialDelayMs,
    machineDetectionMs: scenario.carrier.machineDetectionMs,
    speech: { msPerWord: 360, segmentPauseMs: 0, recordingMs: scenario.carrier.segmentMs },
  };
}

/** Everything a property may look at after one run. */
export interface ScenarioRun {
  scenario: Scenario;
  result: VerificationResult | null;
  error: unknown;
  observations: VerificationObservation[];
  calls: SimulatedCall[];
  faultLog: FaultRecord[];
  /** Clock reading when the promise settled. */
  settledAt: number;
  /** Times the promise's callbacks ran. */
  settlements: number;
  /** Virtual timers still waiting when the promise settled (the test's own cancel timer excluded). */
  pendingTimersAtSettle: number;
  /** Observations that arrived after the promise settled, while the clock ran out. */
  observationsAfterSettle: number;
}

export const VERIFICATION_ID = 'verification-under-test';

/** The simulated carrier a scenario plays on. */
export function createScenarioCarrier(scenario: Scenario, clock: VirtualClock): SimulatedCarrier {
  return new SimulatedCarrier({
    clock,
    numbers: toCallees(scenario),
    seed: scenario.seed,
    ...(scenario.faults === null ? {} : { faults: scenario.faults }),
    timing: toCarrierTiming(scenario),
    capabilities: scenario.capabilities,
  });
}

/** The host's PIN verifier of a scenario. */
export function scenarioPinVerifier(scenario: Scenario): (entry: string) => boolean | Promise<boolean> {
  const pin = scenario.pin;
  return {
    sync: (entry: string) => entry === pin,
    async: async (entry: string) => {
      await Promise.resolve();
      return entry === pin;
    },
    unavailable: async (_entry: string): Promise<boolean> => {
      throw new Error('PIN store unavailable');
    },
  }[scenario.pinVerifier];
}

/** The library's default number check, made once. */
const libraryNumberCheck = createNumberCheck();

/**
 * Plays a scenario on the simulated carrier on virtual time, with the
 * library's default number check — as it answers (at once), or answering
 * later like a host's check that looks something up.
 */
export async function runScenario(
  scenario: Scenario,
  numberCheck: 'at once' | 'later' = 'at once',
): Promise<ScenarioRun> {
  const clock = new VirtualClock();
  const carrier = createScenarioCarrier(scenario, clock);
  const observations: VerificationObservation[] = [];
  const controller = new AbortController();
  const cancelTimer =
    scenario.cancelAfterMs === null ? null : clock.setTimeout(() => controller.abort(), scenario.cancelAfterMs);
  const verifyPin = scenarioPinVerifier(scenario);

  let settlements = 0;
  let result: VerificationResult | null = null;
  let error: unknown = null;
  await runVerification(toRequest(scenario), {
    provider: carrier,
    clock,
    signal: controller.signal,
    verificationId: VERIFICATION_ID,
    onEvent: (observation) => observations.push(observation),
    ...(scenario.mode === 'pin' ? { verifyPin } : {}),
    ...(numberCheck === 'later' ? { checkNumber: async (input) => libraryNumberCheck(input) } : {}),
  }).then(
    (value) => {
      settlements++;
      result = value;
    },
    (reason: unknown) => {
      settlements++;
      error = reason;
    },
  );
  const settledAt = clock.now();
  if (cancelTimer !== null) clock.clearTimeout(cancelTimer);
  const pendingTimersAtSettle = clock.pendingTimers;
  const observedAtSettle = observations.length;
  // Anything still scheduled must change nothing.
  await clock.runUntilIdle();
  return {
    scenario,
    result,
    error,
    observations,
    calls: carrier.calls,
    faultLog: carrier.faultLog,
    settledAt,
    settlements,
    pendingTimersAtSettle,
    observationsAfterSettle: observations.length - observedAtSettle,
  };
}

/**
 * A run is a pure function of its scenario (seeded carrier, virtual clock), so
 * properties that share scenarios may share runs.
 */
export function memoizeRuns(): (scenario: Scenario) => Promise<ScenarioRun> {
  const runs = new Map<string, Promise<ScenarioRun>>();
  return (scenario) => {
    const key = JSON.stringify(scenario);
    let run = runs.get(key);
    if (run === undefined) {
      run = runScenario(scenario);
      runs.set(key, run);
    }
    return run;
  };
}

/** The result of a run, or a failure saying why there is none. */
export function resultOf(run: ScenarioRun): VerificationResult {
  if (run.result === null) throw new Error(`the verification rejected: ${String(run.error)}`);
  return run.result;
}
