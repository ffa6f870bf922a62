/**
 * The simulated carrier: a voice provider on virtual time whose callees follow
 * scripts. Used by the demo, the property tests, and by hosts in their own tests.
 *
 * @module
 */
import { type RequestIssue, VoiceMfaError } from '../../errors.js';
import type { JsonValue } from '../../json.js';
import type { DialCommand, ProviderCommand } from '../../machine/commands.js';
import type { AnsweredBy, CallEnding, ProviderEvent, SitKind } from '../../machine/events.js';
import { optionNames, unknownOptionIssues } from '../../optionNames.js';
import { InvalidPhoneNumberError } from '../../phone/errors.js';
import { maskPhoneNumber } from '../../phone/maskPhoneNumber.js';
import { parsePhoneTarget } from '../../phone/parsePhoneTarget.js';
import { isRecord, methodIssues, unknownKeys } from '../../request/normalizeRequest.js';
import { RUNTIME_CLOCK_METHODS, type RuntimeClock, type TimerHandle } from '../../runtime/clock.js';
import { toHeardEvent } from '../heardOnCall.js';
import type {
  DurableVoiceProvider,
  Plan,
  ProviderCapabilities,
  ProviderEffect,
  ProviderSession,
  Reception,
  SessionContext,
  VoiceProvider,
} from '../types.js';
import { CallListener, checkAudioAnalysis, LISTENING_FRAME_MS, type SimulatedAudioAnalysis } from './callListener.js';
import { checkNumberField, DURATION, fieldPath } from './checks.js';
import { DialQueue } from './dialQueue.js';
import { InvalidSimulationError, SimulatedApiError } from './errors.js';
import {
  checkFaultPlan,
  type Delivery,
  disturbsEvents,
  type FaultPlan,
  type FaultRecord,
  FaultSchedule,
} from './faults.js';
import { createSeededRandom } from './random.js';
import {
  checkScriptedFaults,
  type DialFailureFault,
  type ScriptedFault,
  ScriptedFaultPlayer,
} from './scriptedFaults.js';
import { type CalleeScript, checkCalleeScript, type PromptResponse } from './scripts.js';
import {
  DEFAULT_SPEECH_TIMING,
  estimateDigitsDurationMs,
  estimatePlayDurationMs,
  type SpeechTiming,
} from './speech.js';

/** Timing of the simulated network and callees, in milliseconds. */
export interface CarrierTiming {
  /** From the dial command to the API's reply (`call.dialed`). */
  apiLatencyMs: number;
  /** From the dial to the first ring or the first call-progress result. */
  postDialDelayMs: number;
  /** Default delay of a callee's response after its anchor. */
  responseDelayMs: number;
  /** Default gap between two keys. */
  keyGapMs: number;
  /** From the answer to answering-machine detection's verdict. */
  machineDetectionMs: number;
  /** From our hang-up to the carrier's report of the call's end. */
  hangUpLatencyMs: number;
  speech: SpeechTiming;
}

/** Default carrier timing. */
export const DEFAULT_CARRIER_TIMING: Readonly<CarrierTiming> = {
  apiLatencyMs: 100,
  postDialDelayMs: 2_000,
  responseDelayMs: 1_500,
  keyGapMs: 250,
  machineDetectionMs: 3_000,
  hangUpLatencyMs: 200,
  speech: DEFAULT_SPEECH_TIMING,
};

const TIMING_DURATIONS = [
  'apiLatencyMs',
  'postDialDelayMs',
  'responseDelayMs',
  'keyGapMs',
  'machineDetectionMs',
  'hangUpLatencyMs',
] as const satisfies readonly (keyof CarrierTiming)[];
const SPEECH_DURATIONS = Object.keys(DEFAULT_SPEECH_TIMING) as (keyof SpeechTiming)[];

/**
 * Checks the `timing` option: each duration a finite number from 0 to an hour,
 * `speech` whole; adds an issue for every problem, with the path of its field.
 */
function checkCarrierTiming(timing: unknown, path: string, issues: RequestIssue[]): void {
  if (timing === undefined) return;
  if (!isRecord(timing)) {
    issues.push({ path, message: `must be an object of ${[...TIMING_DURATIONS, 'speech'].join(', ')}` });
    return;
  }
  unknownKeys(timing, [...TIMING_DURATIONS, 'speech'], path, issues);
  for (const key of TIMING_DURATIONS) checkNumberField(timing[key], fieldPath(path, key), DURATION, issues);
  const { speech } = timing;
  if (speech === undefined) return;
  const speechPath = fieldPath(path, 'speech');
  if (!isRecord(speech)) {
    issues.push({ path: speechPath, message: `must be an object of ${SPEECH_DURATIONS.join(', ')}` });
    return;
  }
  unknownKeys(speech, SPEECH_DURATIONS, speechPath, issues);
  for (const key of SPEECH_DURATIONS) {
    // The pace is given whole: a missing field would make every prompt last NaN ms.
    if (speech[key] === undefined) issues.push({ path: fieldPath(speechPath, key), message: 'is required' });
    else checkNumberField(speech[key], fieldPath(speechPath, key), DURATION, issues);
  }
}

/**
 * The timing given, over the defaults: a field given as `undefined` keeps its
 * default, as one left out does (a spread would make it `undefined`, and the
 * delays `NaN`).
 */
function overDefaults(timing: Partial<CarrierTiming>): CarrierTiming {
  const merged: CarrierTiming = { ...DEFAULT_CARRIER_TIMING };
  for (const key of TIMING_DURATIONS) {
    const given = timing[key];
    if (given !== undefined) merged[key] = given;
  }
  if (timing.speech !== undefined) merged.speech = timing.speech;
  return merged;
}

/** From the first ring to the answer, by default. */
const ANSWER_AFTER_MS = { voicemail: 15_000, intercept: 500 } as const;

/**
 * How a network with no SIT signal (Twilio's) ends a call its switch refused with tones of
 * each kind: `failed`, with the SIP response and Q.850 cause of what the tones mean.
 */
const SIT_AS_FAILURE: Readonly<Record<SitKind, CallEnding>> = {
  intercept: { status: 'failed', sipCode: 410, q850Cause: 22 }, // number changed or disconnected
  'vacant-code': { status: 'failed', sipCode: 404, q850Cause: 1 }, // unassigned number
  'no-circuit': { status: 'failed', sipCode: 503, q850Cause: 34 }, // no circuit, congestion
  reorder: { status: 'failed', sipCode: 503, q850Cause: 42 }, // switching equipment congestion
  unknown: { status: 'failed', sipCode: 500, q850Cause: 41 }, // temporary failure
};

/** Bounds of `callsPerSecond`: one call in about 17 minutes to a thousand a second. */
const CALLS_PER_SECOND = { min: 0.001, max: 1_000 };

/** Default capabilities: a provider that reports prompt ends and lets the machine time input. */
export const SIMULATED_CAPABILITIES: Readonly<ProviderCapabilities> = Object.freeze({
  reportsPromptEnd: true,
  enforcesInputTimeout: false,
  machineDetection: true,
  reportsSitKinds: true,
});

/** Options of a {@link SimulatedCarrier}. */
export interface SimulatedCarrierOptions {
  /** The clock events are scheduled on; a `VirtualClock` runs a call in milliseconds. */
  clock: RuntimeClock;
  /** Callee scripts by number in international form (`+14255550100`, `+1 425-555-0100`). */
  numbers?: Record<string, CalleeScript>;
  /** Script for numbers not listed. Default: `invalid-number`. */
  unlistedNumbers?: CalleeScript;
  /** Seed of the fault schedule. Default 1. */
  seed?: number;
  /** Random faults, drawn from the seed. */
  faults?: FaultPlan;
  /**
   * Deterministic faults: this event duplicated, that one late or dropped, this
   * dial refused. They apply first; the random `faults` take the other events.
   */
  scriptedFaults?: ScriptedFault[];
  /**
   * Timing of the network and the callees; each duration a finite number of
   * milliseconds from 0 to an hour, `speech` given whole. Default {@link DEFAULT_CARRIER_TIMING}.
   */
  timing?: Partial<CarrierTiming>;
  /**
   * Report as a provider with these capabilities: `{ enforcesInputTimeout: true, reportsPromptEnd: false }`
   * times the input as Twilio does, `reportsSitKinds: false` ends a `sit` script with a SIP code as Twilio
   * would. Twilio's dial queue is `callsPerSecond`; keys lost between Gathers are not modelled here.
   */
  capabilities?: Partial<ProviderCapabilities>;
  /**
   * The account's calls per second, as Twilio's (1 by default there): calls
   * placed faster wait in the carrier's queue, shared by every verification,
   * before their post-dial delay, and ring that much later. From 0.001 to
   * 1000; default: no limit.
   *
   * @example
   * ```ts
   * const carrier = new SimulatedCarrier({ clock, numbers, callsPerSecond: 1 });
   * // the second of two calls placed at once rings a second after the first
   * ```
   */
  callsPerSecond?: number;
  /**
   * Listen to every call's audio: each callee's line (ringback, busy or
   * reorder tones, special information tones and an announcement, a voicemail
   * greeting and its beep, a person's "Hello?") goes through the audio
   * analyser 20 ms at a time, from the first ring, and what it hears reaches
   * the machine: `call.progressTone` for SIT, busy and reorder, and
   * `call.answeredBy` from its answering-machine verdict (instead of the
   * scripts' `detectedAs`) when a dial asks for detection. `true` for the
   * defaults. Default off.
   */
  audioAnalysis?: boolean | SimulatedAudioAnalysis;
}

/** How a simulated call ended. */
export type SimulatedCallEnd = 'callee-hung-up' | 'carrier' | 'hung-up-by-us' | 'session-closed';

/** The carrier's own record of a call, for assertions in tests. */
export interface SimulatedCall {
  callId: string | null;
  verificationId: string;
  attempt: number;
  to: string;
  script: CalleeScript['kind'];
  dialedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  endedBy: SimulatedCallEnd | null;
  /** Keys the callee pressed (count only). */
  keysPressed: number;
  promptsPlayed: number;
  /** Other calls of the same verification live when this one was dialled. */
  concurrentCallsAtDial: number;
  /** How long the call waited in the queue of the account's calls per second before its post-dial delay. */
  queuedMs: number;
}

interface CallState {
  record: SimulatedCall;
  script: CalleeScript;
  answered: boolean;
  ended: boolean;
  machineDetection: boolean;
  /** Listens to the call's audio, when audio analysis is on and the line carries any. */
  listener: CallListener | null;
  /** The prompt playing, until it ends or is stopped: one at a time. */
  promptTimer: CarrierTimer | null;
  inputTimer: CarrierTimer | null;
  promptIndex: number;
  currentPromptSeq: number;
  promptPlaying: boolean;
  /** Takes the call out of the account's queue while it waits its turn, returning how long it waited. */
  leaveQueue: (() => number) | null;
}

/**
 * Something a session will do after a while: for a call, only while the call
 * lasts. A session links its pending timers through them (a session has a
 * handful at a time, and a list costs nothing when it is empty).
 */
interface CarrierTimer {
  readonly call: CallState | null;
  readonly fn: () => void;
  handle: TimerHandle;
  previous: CarrierTimer | null;
  next: CarrierTimer | null;
}

const NO_CALLS: readonly CallState[] = Object.freeze([]);

// The options' defaults, shared by every carrier that leaves them out: none of them is changed.
const UNLISTED_NUMBER: CalleeScript = Object.freeze({ kind: 'invalid-number' });
const NO_FAULTS: FaultPlan = Object.freeze({});
const NO_SCRIPTED_FAULTS: readonly ScriptedFault[] = Object.freeze([]);

/** Where a script's issues are found before the path names its (masked) number. */
const SCRIPT_PATH = 'script';

/** The E.164 form of a number as a scenario wrote it, so that scripts match what the machine dials. */
function toE164Key(number: string, issues: RequestIssue[]): string | null {
  try {
    return parsePhoneTarget(number).e164;
  } catch (error) {
    if (!(error instanceof InvalidPhoneNumberError)) throw error;
    issues.push({
      path: `numbers.${maskPhoneNumber(number)}`,
      message: `is not a number in international form (${error.reason})`,
    });
    return null;
  }
}

/** The capabilities a carrier can report as. */
const CAPABILITY_NAMES = optionNames<ProviderCapabilities>({
  reportsPromptEnd: true,
  enforcesInputTimeout: true,
  machineDetection: true,
  reportsSitKinds: true,
});

/** What the carrier's audio analysis takes beside `true` or `false`. */
const AUDIO_ANALYSIS_NAMES = optionNames<SimulatedAudioAnalysis>({ zone: true, analyser: true, seed: true });

/** The problems of a `capabilities` option: capabilities the carrier knows, each `true` or `false`. */
function capabilityIssues(capabilities: unknown): RequestIssue[] {
  if (capabilities === undefined) return [];
  if (!isRecord(capabilities)) return [{ path: 'capabilities', message: 'must be an object' }];
  const issues = unknownOptionIssues(capabilities, CAPABILITY_NAMES, 'capabilities');
  for (const name of CAPABILITY_NAMES.names) {
    const value = capabilities[name];
    if (value !== undefined && typeof value !== 'boolean') {
      issues.push({ path: `capabilities.${name}`, message: 'must be true or false' });
    }
  }
  return issues;
}

/** The problems of an `audioAnalysis` option that the analyser does not check itself: its shape and names. */
function audioAnalysisIssues(analysis: unknown): RequestIssue[] {
  if (analysis === undefined || typeof analysis === 'boolean') return [];
  if (!isRecord(analysis)) return [{ path: 'audioAnalysis', message: 'must be true, false or an object' }];
  return unknownOptionIssues(analysis, AUDIO_ANALYSIS_NAMES, 'audioAnalysis');
}

/** The options a carrier knows. */
const CARRIER_OPTIONS = optionNames<SimulatedCarrierOptions>({
  clock: true,
  numbers: true,
  unlistedNumbers: true,
  seed: true,
  faults: true,
  scriptedFaults: true,
  timing: true,
  capabilities: true,
  callsPerSecond: true,
  audioAnalysis: true,
});

/**
 * A voice provider on virtual time, deterministic from a seed, whose callees
 * follow scripts. It emits the events a real provider would, with realistic
 * timing, and can inject faults.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const carrier = new SimulatedCarrier({
 *   clock,
 *   numbers: {
 *     '+14255550100': { kind: 'voicemail' },
 *     '+14255550101': { kind: 'answers', responses: [{ press: '#' }] },
 *   },
 * });
 * const result = await runVerification({ targets: ['+14255550100', '+14255550101'] }, { provider: carrier, clock });
 * // result.status === 'approved'; result.attempts[0].result === 'no-response'
 * ```
 */
export class SimulatedCarrier implements VoiceProvider, DurableVoiceProvider<JsonValue, unknown> {
  readonly name = 'simulated';
  readonly capabilities: ProviderCapabilities;
  /** Every call placed, in order. */
  readonly calls: SimulatedCall[] = [];
  /** Every fault injected, in order. */
  readonly faultLog: FaultRecord[] = [];
  private readonly clock: RuntimeClock;
  private readonly numbers: ReadonlyMap<string, CalleeScript>;
  private readonly unlisted: CalleeScript;
  private readonly timing: Readonly<CarrierTiming>;
  private readonly faults: FaultPlan;
  private readonly scriptedFaults: readonly ScriptedFault[];
  private readonly seed: number;
  private readonly audioAnalysis: SimulatedAudioAnalysis | null;
  /** The account's queue of calls above `callsPerSecond`, shared by every verification; `null` without a rate. */
  private readonly dialQueue: DialQueue | null;
  private callCounter = 0;
  private sessionCounter = 0;
  private sink: ((verificationId: string, event: ProviderEvent) => void) | null = null;
  /** Sessions of verifications run through {@link SimulatedCarrier.run}, made when the first one is. */
  private durableSessions: Map<string, ProviderSession> | null = null;

  /** Throws an {@link InvalidSimulationError} listing every problem of the options. */
  constructor(options: SimulatedCarrierOptions) {
    if (!isRecord(options)) {
      throw new InvalidSimulationError([{ path: 'options', message: 'must be an object: { clock, numbers?, … }' }]);
    }
    this.clock = options.clock;
    const issues: RequestIssue[] = [
      ...unknownOptionIssues(options as unknown as Record<string, unknown>, CARRIER_OPTIONS),
      ...methodIssues(options.clock, 'clock', 'a clock (a VirtualClock, or the system clock)', RUNTIME_CLOCK_METHODS),
    ];
    if (options.seed !== undefined && !Number.isFinite(options.seed)) {
      issues.push({ path: 'seed', message: 'must be a finite number' });
    }
    checkCarrierTiming(options.timing, 'timing', issues);
    // A timing that is no object was refused above: the defaults stand in until the error is thrown.
    this.timing = isRecord(options.timing) ? overDefaults(options.timing) : DEFAULT_CARRIER_TIMING;
    // With a wrong timing the first ring is unknown: answer times are then checked without it.
    const firstRingMs = issues.length > 0 ? 0 : this.timing.apiLatencyMs + this.timing.postDialDelayMs;
    const numbers = new Map<string, CalleeScript>();
    for (const [number, script] of Object.entries(options.numbers ?? {})) {
      const key = toE164Key(number, issues);
      if (key === null) continue;
      if (numbers.has(key)) {
        // Two ways of writing one number: which script the callee follows would depend on the order of the keys.
        issues.push({
          path: `numbers.${maskPhoneNumber(number)}`,
          message: 'is a number listed already, written otherwise',
        });
        continue;
      }
      // The masked number names the script only in an error: masked when there is one.
      const scriptIssues: RequestIssue[] = [];
      checkCalleeScript(script, SCRIPT_PATH, scriptIssues, firstRingMs);
      const path = scriptIssues.length === 0 ? '' : `numbers.${maskPhoneNumber(key)}`;
      for (const issue of scriptIssues) issues.push({ ...issue, path: path + issue.path.slice(SCRIPT_PATH.length) });
      numbers.set(key, script);
    }
    this.numbers = numbers;
    this.unlisted = options.unlistedNumbers ?? UNLISTED_NUMBER;
    checkCalleeScript(this.unlisted, 'unlistedNumbers', issues, firstRingMs);
    this.faults = options.faults ?? NO_FAULTS;
    checkFaultPlan(this.faults, 'faults', issues);
    this.scriptedFaults = options.scriptedFaults ?? NO_SCRIPTED_FAULTS;
    checkScriptedFaults(this.scriptedFaults, 'scriptedFaults', issues);
    checkNumberField(options.callsPerSecond, 'callsPerSecond', CALLS_PER_SECOND, issues);
    issues.push(...capabilityIssues(options.capabilities), ...audioAnalysisIssues(options.audioAnalysis));
    if (issues.length > 0) throw new InvalidSimulationError(issues);
    this.dialQueue = options.callsPerSecond === undefined ? null : new DialQueue(this.clock, options.callsPerSecond);
    const { audioAnalysis = false } = options;
    this.audioAnalysis = audioAnalysis === false ? null : audioAnalysis === true ? {} : audioAnalysis;
    if (this.audioAnalysis !== null) checkAudioAnalysis(this.audioAnalysis);
    this.seed = options.seed ?? 1;
    this.capabilities =
      options.capabilities === undefined
        ? SIMULATED_CAPABILITIES
        : Object.freeze({ ...SIMULATED_CAPABILITIES, ...options.capabilities });
  }

  /** The script the carrier follows for `number`. */
  scriptFor(number: string): CalleeScript {
    return this.numbers.get(number) ?? this.unlisted;
  }

  openSession(context: SessionContext): ProviderSession {
    return this.newSession(context);
  }

  // ── As a durable provider: the carrier is the network, verifications are saved by the service ──

  /**
   * Where the carrier sends events about verifications run by the durable
   * service: the service itself, or a function such as
   * `(id, event) => service.deliverEvent(id, event)` that may pick one of
   * several instances, as a load balancer would. Needed before the service
   * runs a verification on the carrier. Throws an
   * {@link InvalidSimulationError} for anything else.
   *
   * @example
   * ```ts
   * const carrier = new SimulatedCarrier({ clock, numbers });
   * const service = createVerificationService({ store, provider: carrier, clock });
   * carrier.connect(service);
   * ```
   */
  connect(
    destination:
      | ((verificationId: string, event: ProviderEvent) => unknown)
      | { deliverEvent(verificationId: string, event: ProviderEvent): unknown },
  ): void {
    const deliver =
      typeof destination === 'function'
        ? destination
        : isRecord(destination) && typeof destination.deliverEvent === 'function'
          ? (verificationId: string, event: ProviderEvent) => destination.deliverEvent(verificationId, event)
          : null;
    if (deliver === null) {
      throw new InvalidSimulationError([
        { path: 'connect', message: 'takes the verification service, or a function (verificationId, event) => …' },
      ]);
    }
    this.sink = (verificationId, event) => {
      // The service reports what it could not do to its own error handler; the network does not wait, nor fail.
      try {
        Promise.resolve(deliver(verificationId, event)).catch(() => {});
      } catch {}
    };
  }

  /** The simulated carrier keeps no state of ours: the calls live in the (simulated) network. */
  initialState(): JsonValue {
    return null;
  }

  /** An event the carrier reported is the machine's event as it is. */
  receive(state: JsonValue, inbound: unknown): Reception<JsonValue> {
    return { state, events: [inbound as ProviderEvent] };
  }

  /** Every command becomes an effect; a dial happens at most once. */
  plan(state: JsonValue, commands: readonly ProviderCommand[]): Plan<JsonValue> {
    const effects = commands.map(
      (command): ProviderEffect =>
        command.type === 'dial'
          ? { delivery: 'at-most-once', dialAttempt: command.attempt, payload: command as unknown as JsonValue }
          : { delivery: 'at-least-once', payload: command as unknown as JsonValue },
    );
    return { state, effects, answer: null, bindings: [] };
  }

  /** Carries out a command on the verification's calls; what follows comes through {@link SimulatedCarrier.connect}. */
  async run(effect: ProviderEffect, context: { verificationId: string }): Promise<readonly unknown[]> {
    if (this.sink === null) {
      // Its calls would ring with nobody told what happened on them.
      throw new VoiceMfaError(
        'PROVIDER_ERROR',
        'SimulatedCarrier: connect it to the verification service before running verifications on it: carrier.connect(service)',
      );
    }
    this.durableSessions ??= new Map();
    let session = this.durableSessions.get(context.verificationId);
    if (session === undefined) {
      const { verificationId } = context;
      session = this.newSession({ verificationId, emit: (event) => this.sink?.(verificationId, event) });
      this.durableSessions.set(verificationId, session);
    }
    await session.execute(effect.payload as unknown as ProviderCommand);
    return [];
  }

  /** Ends every call of the verifications run through {@link SimulatedCarrier.run} (the end of a test). */
  hangUpAll(): void {
    for (const session of this.durableSessions?.values() ?? []) session.close();
    this.durableSessions?.clear();
  }

  private newSession(context: SessionContext): ProviderSession {
    this.sessionCounter++;
    // Fault machinery only for carriers with faults to inject: without it, every event arrives at once, as sent.
    const randomFaults = disturbsEvents(this.faults);
    if (!randomFaults && this.scriptedFaults.length === 0) return new CarrierSession(this, context, this.dialQueue);
    const log = (record: FaultRecord) => this.faultLog.push(record);
    const random = createSeededRandom((this.seed * 7919 + this.sessionCounter) >>> 0);
    return new CarrierSession(
      this,
      context,
      this.dialQueue,
      randomFaults ? new FaultSchedule(this.faults, random, log) : null,
      this.scriptedFaults.length === 0 ? null : new ScriptedFaultPlayer(this.scriptedFaults, log),
    );
  }

  /** @internal */
  nextCallId(): string {
    this.callCounter++;
    return `CA-sim-${String(this.callCounter).padStart(4, '0')}`;
  }

  /** @internal */
  get settings(): {
    clock: RuntimeClock;
    timing: Readonly<CarrierTiming>;
    audioAnalysis: SimulatedAudioAnalysis | null;
  } {
    return { clock: this.clock, timing: this.timing, audioAnalysis: this.audioAnalysis };
  }
}

/** One verification's calls on the simulated carrier. */
class CarrierSession implements ProviderSession {
  /** The first of every timer set and not yet fired or cancelled, the calls' and the session's own. */
  private firstTimer: CarrierTimer | null = null;
  /** The calls placed, in order: a verification places a few, one at a time. */
  private calls: readonly CallState[] = NO_CALLS;
  /** Ended calls, whose ids random faults use for stale copies. */
  private readonly endedCallIds: string[] = [];
  private closed = false;

  constructor(
    private readonly carrier: SimulatedCarrier,
    private readonly context: SessionContext,
    /** The account's queue of calls above its calls per second, or `null` without a rate. */
    private readonly dialQueue: DialQueue | null,
    /** Random faults, when the carrier's plan has any. */
    private readonly faults: FaultSchedule | null = null,
    /** Scripted faults, when the carrier has any. */
    private readonly scripted: ScriptedFaultPlayer | null = null,
  ) {}

  private get clock(): RuntimeClock {
    return this.carrier.settings.clock;
  }

  private get timing(): Readonly<CarrierTiming> {
    return this.carrier.settings.timing;
  }

  execute(command: ProviderCommand): void | Promise<void> {
    if (this.closed) return;
    switch (command.type) {
      case 'dial': {
        const failure = this.scripted?.dialFailureFor(command.attempt) ?? null;
        if (failure !== null) return this.failDial(command, failure);
        this.dial(command.attempt, command.to, command.machineDetection);
        return;
      }
      case 'sendDigits': {
        const call = this.liveAnsweredCall(command.callId);
        if (call === undefined) return;
        this.after(call, estimateDigitsDurationMs(command.digits), () =>
          this.emit({ type: 'call.digitsSent', callId: command.callId }),
        );
        return;
      }
      case 'playPrompt':
        this.playPrompt(command);
        return;
      case 'hangUp':
        this.hangUpByUs(command.callId, estimatePlayDurationMs(command.farewell, this.timing.speech));
        return;
    }
  }

  close(): void {
    this.closed = true;
    this.scripted?.close();
    for (let timer = this.firstTimer; timer !== null; timer = timer.next) this.clock.clearTimeout(timer.handle);
    this.firstTimer = null;
    for (const call of this.calls) {
      if (!call.ended) this.endCall(call, 'session-closed');
    }
  }

  /** A dial the provider's API refuses, by a scripted fault: no call is placed. */
  private failDial(command: DialCommand, failure: DialFailureFault): Promise<void> {
    this.recordDial(command.attempt, command.to, true);
    const error = new SimulatedApiError(
      failure.providerCode,
      failure.message ?? `The provider refused the call (code ${failure.providerCode})`,
    );
    if (failure.throws === true) throw error;
    return Promise.reject(error);
  }

  /** The carrier's record of a new dial; a dial the API refused ends at once. */
  private recordDial(attempt: number, to: string, refused: boolean): SimulatedCall {
    const concurrent = this.calls.filter((c) => !c.ended).length;
    const record: SimulatedCall = {
      callId: null,
      verificationId: this.context.verificationId,
      attempt,
      to,
      script: this.carrier.scriptFor(to).kind,
      dialedAt: this.clock.now(),
      answeredAt: null,
      endedAt: refused ? this.clock.now() : null,
      endedBy: refused ? 'carrier' : null,
      keysPressed: 0,
      promptsPlayed: 0,
      concurrentCallsAtDial: concurrent,
      queuedMs: 0,
    };
    this.carrier.calls.push(record);
    return record;
  }

  private dial(attempt: number, to: string, machineDetection: boolean): void {
    const script = this.carrier.scriptFor(to);
    const record = this.recordDial(attempt, to, script.kind === 'api-error');
    const { apiLatencyMs, postDialDelayMs } = this.timing;
    if (script.kind === 'api-error') {
      this.schedule(apiLatencyMs, () =>
        this.emit({
          type: 'call.dialFailed',
          attempt,
          ending: { status: 'failed', providerCode: script.providerCode },
        }),
      );
      return;
    }
    const callId = this.carrier.nextCallId();
    record.callId = callId;
    const call: CallState = {
      record,
      script,
      answered: false,
      ended: false,
      machineDetection: machineDetection && this.carrier.capabilities.machineDetection,
      listener: null,
      promptTimer: null,
      inputTimer: null,
      promptIndex: 0,
      currentPromptSeq: 0,
      promptPlaying: false,
      leaveQueue: null,
    };
    this.calls = [...this.calls, call];
    this.after(call, apiLatencyMs, () => this.emit({ type: 'call.dialed', attempt, callId }));
    if (this.dialQueue === null) {
      this.after(call, apiLatencyMs + postDialDelayMs, () => this.progress(call));
      return;
    }
    // The create succeeds at once (the call is queued); its progress waits for its turn.
    call.leaveQueue = this.dialQueue.enter(this.clock.now() + apiLatencyMs, (queuedMs) => {
      call.leaveQueue = null;
      record.queuedMs = queuedMs;
      this.after(call, postDialDelayMs, () => this.progress(call));
    });
  }

  /** The carrier's verdict for scripts that never ring, or `null` for those that do. */
  private failureOf(script: CalleeScript): CallEnding | null {
    switch (script.kind) {
      case 'busy':
        return script.signalled === false ? null : { status: 'busy', sipCode: 486, q850Cause: 17 };
      case 'sit':
        return this.carrier.capabilities.reportsSitKinds
          ? { status: 'sit', sitKind: script.sitKind }
          : { ...SIT_AS_FAILURE[script.sitKind] };
      case 'invalid-number':
        return { status: 'failed', sipCode: 404, q850Cause: 1 };
      case 'carrier-failure':
        return {
          status: 'failed',
          sipCode: script.sipCode ?? 503,
          ...(script.q850Cause === undefined ? {} : { q850Cause: script.q850Cause }),
        };
      default:
        return null;
    }
  }

  /** Call progress once the post-dial delay is over. */
  private progress(call: CallState): void {
    const { script } = call;
    const failure = this.failureOf(script);
    if (failure !== null) {
      this.endCall(call, 'carrier', failure);
      return;
    }
    // What happens next is scheduled before the event goes out, so the network's timeline never
    // depends on how fast the other side reacts within the same instant (in-process or a saved step).
    this.startListening(call);
    switch (script.kind) {
      case 'answers':
        this.after(call, this.answerDelay(call, script.answerAtMs, script.answerAfterMs ?? 4_000), () =>
          this.answer(call, script.detectedAs ?? 'human'),
        );
        break;
      case 'voicemail':
      case 'intercept':
        // The network's recording answers at once; a voicemail after some rings.
        this.after(
          call,
          this.answerDelay(call, script.answerAtMs, script.answerAfterMs ?? ANSWER_AFTER_MS[script.kind]),
          () => {
            if (script.hangUpAfterMs !== undefined) {
              this.after(call, script.hangUpAfterMs, () =>
                this.endCall(call, 'callee-hung-up', { status: 'completed' }),
              );
            }
            this.answer(call, script.detectedAs ?? 'machine');
          },
        );
        break;
      case 'no-answer':
        if (script.carrierGivesUpAfterMs !== undefined) {
          this.after(call, script.carrierGivesUpAfterMs, () =>
            this.endCall(call, 'carrier', { status: 'no-answer', sipCode: 480, q850Cause: 19 }),
          );
        }
        break;
      case 'declines':
        this.after(call, script.afterMs ?? 3_000, () =>
          this.endCall(call, 'carrier', { status: 'rejected', sipCode: 603, q850Cause: 21 }),
        );
        break;
      default:
        break;
    }
    this.emit({ type: 'call.ringing', callId: this.callIdOf(call) });
  }

  /** From the first ring (now) to the answer: `answerAtMs` counts from the dial, `answerAfterMs` from the ring. */
  private answerDelay(call: CallState, answerAtMs: number | undefined, afterRingMs: number): number {
    if (answerAtMs === undefined) return afterRingMs;
    return Math.max(0, call.record.dialedAt + answerAtMs - this.clock.now());
  }

  private answer(call: CallState, detectedAs: AnsweredBy): void {
    call.answered = true;
    call.record.answeredAt = this.clock.now();
    const callId = this.callIdOf(call);
    call.listener?.answer();
    // Listening for machines, the analyser's verdict is the detection's; otherwise the script's.
    if (call.machineDetection && !(call.listener?.hearsMachines ?? false)) {
      this.after(call, this.timing.machineDetectionMs, () =>
        this.emit({ type: 'call.answeredBy', callId, answeredBy: detectedAs }),
      );
    }
    this.emit({ type: 'call.answered', callId });
  }

  /** Plays the call's line into the analyser, a frame every 20 ms, until the call ends. */
  private startListening(call: CallState): void {
    const analysis = this.carrier.settings.audioAnalysis;
    if (analysis === null) return;
    const listener = new CallListener(call.script, analysis);
    call.listener = listener;
    const listen = (): void => {
      const next = this.after(call, LISTENING_FRAME_MS, listen);
      for (const heard of listener.listen()) {
        // What the machine did with the last one may have ended the call.
        if (call.ended) return;
        const event = toHeardEvent(heard, this.callIdOf(call), call.machineDetection);
        if (event !== null) this.emit(event);
        // As on a Twilio stream: the attempt ends with a tone, and nothing heard after it matters.
        if (heard.kind === 'tone') {
          this.cancel(next);
          call.listener = null;
          return;
        }
      }
    };
    this.after(call, LISTENING_FRAME_MS, listen);
  }

  private playPrompt(command: Extract<ProviderCommand, { type: 'playPrompt' }>): void {
    const { callId, promptSeq } = command;
    const call = this.liveAnsweredCall(callId);
    if (call === undefined) return;
    this.stopPrompt(call);
    call.record.promptsPlayed++;
    call.currentPromptSeq = promptSeq;
    call.promptPlaying = true;
    const durationMs = estimatePlayDurationMs(command.segments, this.timing.speech);
    const { inputTimeoutMs, timeoutOwner } = command.collect;
    // The timers keep what they need of the command, not the command and its prompt's text (some 500 bytes).
    const promptTimer = this.after(call, durationMs, () => {
      call.promptPlaying = false;
      if (timeoutOwner === 'provider') this.startInputTimer(call, promptSeq, inputTimeoutMs);
      if (this.carrier.capabilities.reportsPromptEnd) this.emit({ type: 'call.promptFinished', callId, promptSeq });
    });
    call.promptTimer = promptTimer;

    const response = this.responseTo(call);
    if ('silence' in response) return;
    const anchorMs = (response.from ?? 'prompt-end') === 'prompt-start' ? 0 : durationMs;
    const startMs = anchorMs + (response.afterMs ?? this.timing.responseDelayMs);
    if ('hangUp' in response) {
      this.after(call, startMs, () => this.endCall(call, 'callee-hung-up', { status: 'completed' }));
      return;
    }
    const gap = response.keyGapMs ?? this.timing.keyGapMs;
    [...response.press].forEach((key, i) => {
      this.after(call, startMs + i * gap, () => this.pressKey(call, key, inputTimeoutMs, timeoutOwner));
    });
  }

  private pressKey(call: CallState, key: string, inputTimeoutMs: number, timeoutOwner: 'machine' | 'provider'): void {
    if (call.promptPlaying && call.promptTimer !== null) {
      // Barge-in: a key stops the prompt playing, even one started after the key's own prompt
      // (a Gather stops at any key), so its end is never reported.
      this.cancel(call.promptTimer);
      call.promptPlaying = false;
    }
    call.record.keysPressed++;
    if (timeoutOwner === 'provider') {
      // A provider that owns the timer restarts it on every key and stops collecting at '#'.
      if (key === '#') this.clearInputTimer(call);
      else this.startInputTimer(call, call.currentPromptSeq, inputTimeoutMs);
    }
    this.emit({ type: 'call.digits', callId: this.callIdOf(call), digits: key });
  }

  private startInputTimer(call: CallState, promptSeq: number, inputTimeoutMs: number): void {
    this.clearInputTimer(call);
    call.inputTimer = this.after(call, inputTimeoutMs, () => {
      call.inputTimer = null;
      this.emit({ type: 'call.inputTimeout', callId: this.callIdOf(call), promptSeq });
    });
  }

  private clearInputTimer(call: CallState): void {
    if (call.inputTimer === null) return;
    this.cancel(call.inputTimer);
    call.inputTimer = null;
  }

  private stopPrompt(call: CallState): void {
    if (call.promptTimer !== null) this.cancel(call.promptTimer);
    this.clearInputTimer(call);
    call.promptPlaying = false;
  }

  private responseTo(call: CallState): PromptResponse {
    const index = call.promptIndex++;
    if (call.script.kind !== 'answers') return { silence: true };
    return call.script.responses?.[index] ?? { silence: true };
  }

  private hangUpByUs(callId: string, farewellMs: number): void {
    const call = this.callWithId(callId);
    if (call === undefined || call.ended) return;
    const ending: CallEnding = call.answered ? { status: 'completed' } : { status: 'canceled', sipCode: 487 };
    this.endCall(call, 'hung-up-by-us');
    // The carrier still reports the end, as Twilio's status callback does; for the machine it is stale.
    this.schedule(farewellMs + this.timing.hangUpLatencyMs, () => this.emit({ type: 'call.ended', callId, ending }));
  }

  private endCall(call: CallState, by: SimulatedCallEnd, ending?: CallEnding): void {
    if (call.ended) return;
    call.ended = true;
    call.record.endedAt = this.clock.now();
    call.record.endedBy = by;
    // Ended before its turn, the call never dials: it leaves the queue without taking a turn.
    if (call.leaveQueue !== null) call.record.queuedMs = call.leaveQueue();
    call.leaveQueue = null;
    for (let timer = this.firstTimer; timer !== null; ) {
      const { next } = timer;
      if (timer.call === call) this.cancel(timer);
      timer = next;
    }
    call.promptTimer = null;
    call.inputTimer = null;
    call.listener = null;
    const callId = this.callIdOf(call);
    if (this.faults !== null) this.endedCallIds.push(callId);
    if (ending !== undefined) this.emit({ type: 'call.ended', callId, ending });
  }

  private callWithId(callId: string): CallState | undefined {
    return this.calls.find((call) => call.record.callId === callId);
  }

  private liveAnsweredCall(callId: string): CallState | undefined {
    const call = this.callWithId(callId);
    return call?.answered && !call.ended ? call : undefined;
  }

  private callIdOf(call: CallState): string {
    return call.record.callId ?? '';
  }

  /** Sends an event through the scripted faults, or else the random ones. */
  private emit(event: ProviderEvent): void {
    if (this.closed) return;
    const { faults, scripted } = this;
    if (faults === null && scripted === null) {
      this.context.emit(event);
      return;
    }
    const now = this.clock.now();
    const attempt = 'attempt' in event ? event.attempt : (this.callWithId(event.callId)?.record.attempt ?? -1);
    const undisturbed = (): Delivery => faults?.undisturbed(event, now) ?? asSent(event);
    const deliveries = scripted?.deliveriesFor(event, attempt, now, undisturbed) ??
      faults?.deliveriesFor(event, now, this.endedCallIds) ?? [asSent(event)];
    this.deliver(deliveries, attempt, now);
  }

  /** Hands deliveries to the runtime, each followed by the events a scripted fault held until it. */
  private deliver(deliveries: readonly Delivery[], attempt: number, now: number): void {
    for (const delivery of deliveries) {
      if (delivery.queued) this.schedule(delivery.delayMs, () => this.context.emit(delivery.event));
      else this.context.emit(delivery.event);
      if (this.scripted !== null) {
        this.deliver(this.scripted.releasedBy(delivery.event, attempt, now, delivery.delayMs), attempt, now);
      }
    }
  }

  /** Runs `fn` after `ms` unless the session closed; not tied to a call. */
  private schedule(ms: number, fn: () => void): CarrierTimer {
    return this.setTimer(null, ms, fn);
  }

  /** Runs `fn` after `ms` unless the call or the session ended first. */
  private after(call: CallState, ms: number, fn: () => void): CarrierTimer {
    return this.setTimer(call, ms, fn);
  }

  private setTimer(call: CallState | null, ms: number, fn: () => void): CarrierTimer {
    const next = this.firstTimer;
    const timer: CarrierTimer = { call, fn, handle: null, previous: null, next };
    if (next !== null) next.previous = timer;
    this.firstTimer = timer;
    timer.handle = this.clock.setTimeout(() => this.fire(timer), ms);
    return timer;
  }

  /** Takes a timer off the session's list (a timer already off it stays off). */
  private unlink(timer: CarrierTimer): void {
    const { previous, next } = timer;
    if (previous !== null) previous.next = next;
    else if (this.firstTimer === timer) this.firstTimer = next;
    else return;
    if (next !== null) next.previous = previous;
    timer.previous = null;
    timer.next = null;
  }

  private fire(timer: CarrierTimer): void {
    this.unlink(timer);
    const { call } = timer;
    if (call?.promptTimer === timer) call.promptTimer = null;
    if (!this.closed && call?.ended !== true) timer.fn();
  }

  private cancel(timer: CarrierTimer): void {
    this.clock.clearTimeout(timer.handle);
    this.unlink(timer);
    const { call } = timer;
    if (call?.promptTimer === timer) call.promptTimer = null;
  }
}

/** The delivery of an event that nothing disturbs. */
function asSent(event: ProviderEvent): Delivery {
  return { event, delayMs: 0, queued: false };
}
