/**
 * The voice-provider adapter interface: commands in, events out. A provider
 * turns the machine's commands into telephony and telephony into events; it
 * knows nothing of rollover, PINs or outcomes.
 *
 * @module
 */
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

/** What a provider is given when a verification opens a session. */
export interface SessionContext {
  /** Identifier of the verification, unique per runtime. */
  verificationId: string;
  /**
   * Delivers an event about one of this session's calls. `call.dialed` must be
   * emitted before any other event of that call.
   */
  emit(event: ProviderEvent): void;
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
