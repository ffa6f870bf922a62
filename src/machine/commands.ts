/**
 * Commands the verification machine emits for a voice provider to carry out.
 * They are plain JSON: a runtime may queue, log or persist them.
 *
 * @module
 */
import type { InputTimeoutOwner, PromptSegment, SpeechSettings, VerificationMode } from './types.js';

/** Place the call of attempt `attempt`. The provider answers with `call.dialed` or `call.dialFailed`. */
export interface DialCommand {
  type: 'dial';
  attempt: number;
  /** Destination in E.164. */
  to: string;
  /** Extension digits to send once answered (`,` = one second of pause); the machine sends them itself with `sendDigits`. */
  extension: string | null;
  /** Caller ID to present, or `null` for the provider's default. */
  callerId: string | null;
  /** How long the phone may ring, counted from the first ring (Twilio's `Timeout`). */
  ringTimeoutMs: number;
  /**
   * How long the whole dial may take from this command — queueing, post-dial
   * delay and ringing. A provider that queues dials must not place the call so
   * late that it cannot ring for a while within this bound.
   */
  dialTimeoutMs: number;
  /** Run answering-machine detection on this call. */
  machineDetection: boolean;
}

/** Send DTMF digits on the answered call (`,` = one second of pause), then report `call.digitsSent`. */
export interface SendDigitsCommand {
  type: 'sendDigits';
  callId: string;
  digits: string;
}

/** Which prompt is played. */
export type PromptKind = 'greeting' | 'invalid-entry' | 'incorrect-pin';

/**
 * Play a prompt and collect keys. Keys pressed while it plays stop it (barge-in).
 * The provider reports each key with `call.digits`, the prompt's end with
 * `call.promptFinished`, and, when it owns the input timeout, `call.inputTimeout`.
 */
export interface PlayPromptCommand {
  type: 'playPrompt';
  callId: string;
  /** Sequence number of this prompt within the verification; echoed by prompt events. */
  promptSeq: number;
  kind: PromptKind;
  segments: PromptSegment[];
  speech: SpeechSettings;
  /** What the callee is asked for, so a provider can shape its key collection. */
  collect: {
    mode: VerificationMode;
    /** Fraud code digits, or `null` when disabled. */
    fraudCode: string | null;
    inputTimeoutMs: number;
    timeoutOwner: InputTimeoutOwner;
  };
}

/** End the call (cancel it if it is not answered yet), after playing `farewell` when given. */
export interface HangUpCommand {
  type: 'hangUp';
  callId: string;
  farewell: PromptSegment[];
  speech: SpeechSettings;
}

/** Every command the machine emits. */
export type ProviderCommand = DialCommand | SendDigitsCommand | PlayPromptCommand | HangUpCommand;
