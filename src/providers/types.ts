/**
 * The voice-provider adapter interface: commands in, events out. A provider
 * turns the machine's commands into telephony and telephony into events; it
 * knows nothing of rollover, PINs or outcomes.
 *
 * @module
 */
import type { JsonValue } from '../json.js';
import type { ProviderCommand } from '../machine/commands.js';
import type { ProviderEvent } from '../machine/events.js';

/** What a provider can do; the runtime adapts the machine to it. */
export interface ProviderCapabilities {
  /** Sends `call.promptFinished` when a prompt has finished playing. */
  reportsPromptEnd: boolean;
  /**
   * Enforces the input timeout itself (e.g. Twilio's `<Gather timeout>`) and sends
   * `call.inputTimeout`; the machine then only keeps a watchdog.
   */
  enforcesInputTimeout: boolean;
  /** Offers answering-machine detection (`call.answeredBy`). */
  machineDetection: boolean;
  /** Tells SIT kinds apart (`ending.sitKind`). */
  reportsSitKinds: boolean;
}

/** One verification's connection to a provider. */
export interface ProviderSession {
  /**
   * Carries out one command. A dial that fails at once should be reported as
   * `call.dialFailed`; if `execute` throws or rejects for a dial, the runtime
   * reports it as a `failed` dial with the error's code.
   */
  execute(command: ProviderCommand): void | Promise<void>;
  /**
   * Releases everything the session holds (listeners, timers, registry entries) and
   * ends every call of the session still up, including one whose dial is in flight.
   */
  close(): void | Promise<void>;
}

/**
 * A dial waits in the provider's own queue: a provider that paces its dials
 * (e.g. to the calls per second its account allows) reports it when it cannot
 * place a dial at once.
 *
 * @example
 * ```ts
 * context.report?.({ type: 'provider.dialQueued', attempt: command.attempt, queueLength: 3, waitMs: 2_000 });
 * ```
 */
export interface DialQueuedReport {
  type: 'provider.dialQueued';
  /** The dial command's attempt. */
  attempt: number;
  /** Dials waiting in the provider's queue, this one included. */
  queueLength: number;
  /** How long this dial is expected to wait before it is placed (milliseconds). */
  waitMs: number;
}

/**
 * A paced dial was placed: the request that created the call was sent.
 *
 * @example
 * ```ts
 * context.report?.({ type: 'provider.dialPlaced', attempt: command.attempt, waitMs: 2_000, retries: 0 });
 * ```
 */
export interface DialPlacedReport {
  type: 'provider.dialPlaced';
  /** The dial command's attempt. */
  attempt: number;
  /** How long the dial waited, in the queue and in back-offs, before its call was created (milliseconds). */
  waitMs: number;
  /** How often the network said "too many requests" before it took the call. */
  retries: number;
}

/**
 * What a provider may report about its own work, beside the events of its
 * calls. Optional: a provider that reports nothing needs nothing of it.
 *
 * @example
 * ```ts
 * const report: ProviderReport = { type: 'provider.dialPlaced', attempt: 0, waitMs: 0, retries: 0 };
 * ```
 */
export type ProviderReport = DialQueuedReport | DialPlacedReport;

/** What a provider is given when a verification opens a session. */
export interface SessionContext {
  /** Identifier of the verification, unique per runtime. */
  verificationId: string;
  /**
   * Delivers an event about one of this session's calls. `call.dialed` must be
   * emitted before any other event of that call.
   */
  emit(event: ProviderEvent): void;
  /**
   * Reports what the provider does on its own (its dial queue) to the host's
   * observation stream; the machine never sees it. `runVerification` always
   * gives it; call it as `context.report?.(…)`.
   */
  report?(report: ProviderReport): void;
}

/**
 * A voice provider: Twilio, the simulated carrier, or your own.
 *
 * @example
 * ```ts
 * const provider: VoiceProvider = {
 *   name: 'my-sip',
 *   capabilities: { reportsPromptEnd: true, enforcesInputTimeout: false, machineDetection: false, reportsSitKinds: false },
 *   openSession({ emit }) {
 *     return {
 *       async execute(command) {
 *         if (command.type === 'dial') emit({ type: 'call.dialed', attempt: command.attempt, callId: await sip.invite(command.to) });
 *       },
 *       close() {},
 *     };
 *   },
 * };
 * ```
 */
export interface VoiceProvider {
  /** Short name for logs, e.g. `twilio` or `simulated`. */
  readonly name: string;
  readonly capabilities: ProviderCapabilities;
  /** Opens the session of one verification. */
  openSession(context: SessionContext): ProviderSession;
}

/**
 * Something a provider must do after a step committed: a REST call, a command
 * to a carrier. Plain JSON, kept in the outbox until it is done.
 */
export interface ProviderEffect {
  /**
   * `at-most-once` for what must never happen twice (placing a call);
   * `at-least-once` for what may be repeated until it holds (hanging up).
   */
  delivery: 'at-most-once' | 'at-least-once';
  /** For a dial: the attempt it places, so that one never placed can be reported as interrupted. */
  dialAttempt?: number;
  /** What to do, in the provider's own terms. */
  payload: JsonValue;
}

/** Where a provider's durable state and messages belong. */
export interface DurableContext {
  verificationId: string;
  /** The step's clock reading (milliseconds). */
  now: number;
}

/**
 * Why the audit log says a message changed nothing: `stale` — it was about a
 * call the verification no longer has (another call's, a call it let go), as
 * a provider says in {@link Reception.audit}; `after the end` — it came after
 * the verification's final status, as the step says of any input then,
 * whatever the provider said.
 *
 * @example
 * ```ts
 * const reason: IgnoredMessageReason = 'stale';
 * ```
 */
export type IgnoredMessageReason = 'stale' | 'after the end';

/** The values of {@link IgnoredMessageReason}, for the code that writes them. */
export const IGNORED_MESSAGE_REASONS = {
  stale: 'stale',
  afterTheEnd: 'after the end',
} as const satisfies Record<string, IgnoredMessageReason>;

/**
 * What a provider makes of an inbound message (e.g. a webhook).
 *
 * @example
 * ```ts
 * // A webhook about a call the verification let go: nothing for the machine, an audit row that says why.
 * const reception: Reception<MyState> = {
 *   state,
 *   events: [],
 *   answer: '<Response/>',
 *   audit: { what: 'webhook status', reason: 'stale' },
 * };
 * ```
 */
export interface Reception<State> {
  state: State;
  /** Events for the machine, in order. */
  events: ProviderEvent[];
  /** The answer to the message when it needs no decision of the machine (a callback, a retry); else `null`. */
  answer?: string | null;
  /**
   * How the audit log names a message that reports no event, and why it
   * changed nothing when it was ignored (`stale`: another call's, or a call
   * no longer ours); `null` when it simply had nothing to report. Default
   * `{ what: 'inbound message', reason: null }`.
   */
  audit?: { what: string; reason: IgnoredMessageReason | null };
}

/** What a provider makes of the machine's commands in one step. */
export interface Plan<State> {
  state: State;
  /** Effects to run after the step committed, in order. */
  effects: ProviderEffect[];
  /** The answer to the inbound message of the step (e.g. TwiML), or `null`. */
  answer: string | null;
  /** Keys under which later messages find this verification (dial tokens, call ids). */
  bindings: { kind: string; key: string }[];
}

/**
 * A voice provider whose per-verification state is plain data, so that a
 * verification can be saved after every step and continued by any process:
 * the durable service (`createVerificationService`) drives it. A step gives
 * it the saved state and what came in, and saves what it returns.
 *
 * @example
 * ```ts
 * const provider: DurableVoiceProvider<null, ProviderEvent> = {
 *   name: 'my-carrier',
 *   capabilities,
 *   initialState: () => null,
 *   receive: (state, event) => ({ state, events: [event] }),
 *   plan: (state, commands) => ({
 *     state,
 *     effects: commands.map((c): ProviderEffect => {
 *       const payload = c as unknown as JsonValue; // commands are plain data
 *       return c.type === 'dial'
 *         ? { delivery: 'at-most-once', dialAttempt: c.attempt, payload }
 *         : { delivery: 'at-least-once', payload };
 *     }),
 *     answer: null,
 *     bindings: [],
 *   }),
 *   run: async (effect, { verificationId }) => carrier.send(verificationId, effect.payload),
 * };
 * ```
 */
export interface DurableVoiceProvider<State extends JsonValue = JsonValue, Inbound = unknown> {
  readonly name: string;
  readonly capabilities: ProviderCapabilities;
  /** The state of a verification before its first call. */
  initialState(): State;
  /**
   * Identifies a message that may be sent again (a webhook Twilio retries): a
   * retry gets the answer stored for the first. `null`: handle every copy.
   * Only a text answer is stored: a message whose step answered `null` is
   * handled again when it comes again, so a provider that keys messages whose
   * repetition would count twice (a key press) answers them with text, as the
   * Twilio provider answers every webhook with TwiML.
   */
  idempotencyKeyOf?(inbound: Inbound): string | null;
  /** Reads an inbound message about one of the verification's calls. */
  receive(state: State, inbound: Inbound, context: DurableContext): Reception<State>;
  /**
   * Turns the commands the machine gave in one step into effects, and into the
   * answer to the step's inbound message (`null` when the step had none).
   */
  plan(
    state: State,
    commands: readonly ProviderCommand[],
    inbound: Inbound | null,
    context: DurableContext,
  ): Plan<State>;
  /**
   * Carries out one effect. What it learns on the way (the call id a dial got,
   * a refused dial) is returned as messages, each read by {@link DurableVoiceProvider.receive}
   * in a new step of the verification. What it does on its own (its dial
   * queue) it may tell `context.report`, as a session does.
   */
  run(
    effect: ProviderEffect,
    context: { verificationId: string; report?(report: ProviderReport): void },
  ): Promise<readonly Inbound[]>;
}
