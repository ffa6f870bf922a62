/**
 * Events the verification machine receives: from the voice provider (about one
 * call, always carrying its callId) and from the host.
 *
 * Every event may carry `at`, the clock reading (milliseconds) when it was
 * received; the runtime stamps it, so the machine never reads a clock itself.
 *
 * @module
 */

/** Kinds of special information tones ("tri-tones"), ITU-T E.180 / North American SIT. */
export type SitKind = 'vacant-code' | 'intercept' | 'no-circuit' | 'reorder' | 'unknown';

/** The list of SIT kinds, for validation. */
export const SIT_KINDS: readonly SitKind[] = ['vacant-code', 'intercept', 'no-circuit', 'reorder', 'unknown'];

/**
 * How a call ended as the provider saw it. `completed` means the call was
 * connected and then ended normally (the callee hung up).
 */
export type CallEndStatus =
  | 'completed'
  | 'busy'
  | 'no-answer'
  | 'failed'
  | 'canceled'
  | 'rejected'
  | 'invalid-number'
  | 'sit';

/** The list of call end statuses, for validation. */
export const CALL_END_STATUSES: readonly CallEndStatus[] = [
  'completed',
  'busy',
  'no-answer',
  'failed',
  'canceled',
  'rejected',
  'invalid-number',
  'sit',
];

/**
 * Facts about a call's end. Codes win over `status` when they say more: a
 * Q.850 cause first (RFC 6432), then the SIP response code.
 */
export interface CallEnding {
  status: CallEndStatus;
  /** SIP final response code, e.g. 486. */
  sipCode?: number;
  /** Q.850 cause value, e.g. 17. */
  q850Cause?: number;
  /** Kind of special information tone, when one was heard. */
  sitKind?: SitKind;
  /** The provider's own error code, e.g. Twilio's `21217`. */
  providerCode?: string;
  /**
   * The provider may still report keys pressed before this end (Twilio: a
   * Gather was collecting when the call ended, and its report is a separate
   * request that may come later). The machine then waits `endingGraceMs`.
   */
  keysMayFollow?: boolean;
}

/** What answering-machine detection decided. */
export type AnsweredBy = 'human' | 'machine' | 'fax' | 'unknown';

interface Stamped {
  /** Clock reading when the event was received (milliseconds), stamped by the runtime. */
  at?: number;
}

/** The provider placed the call of attempt `attempt` and gave it `callId`. Sent before any other event of that call. */
export interface CallDialedEvent extends Stamped {
  type: 'call.dialed';
  attempt: number;
  callId: string;
}

/** The provider refused to place the call of attempt `attempt` (an API error when dialling). */
export interface CallDialFailedEvent extends Stamped {
  type: 'call.dialFailed';
  attempt: number;
  ending: CallEnding;
}

/** The callee's phone is ringing. */
export interface CallRingingEvent extends Stamped {
  type: 'call.ringing';
  callId: string;
}

/** The call was answered (by a person or a machine). */
export interface CallAnsweredEvent extends Stamped {
  type: 'call.answered';
  callId: string;
}

/** Answering-machine detection's verdict. */
export interface CallAnsweredByEvent extends Stamped {
  type: 'call.answeredBy';
  callId: string;
  answeredBy: AnsweredBy;
}

/** The extension digits were sent. */
export interface CallDigitsSentEvent extends Stamped {
  type: 'call.digitsSent';
  callId: string;
}

/** The prompt `promptSeq` finished playing. */
export interface CallPromptFinishedEvent extends Stamped {
  type: 'call.promptFinished';
  callId: string;
  promptSeq: number;
}

/** The callee pressed keys (`0`–`9`, `*`, `#`), in order. */
export interface CallDigitsEvent extends Stamped {
  type: 'call.digits';
  callId: string;
  digits: string;
}

/** A provider that enforces the input timeout reports that it expired after prompt `promptSeq`. */
export interface CallInputTimeoutEvent extends Stamped {
  type: 'call.inputTimeout';
  callId: string;
  promptSeq: number;
}

/** Call-progress tones heard in a call's audio, e.g. by the provider's audio analysis. */
export type ProgressTone = 'sit' | 'busy' | 'reorder';

/** The list of progress tones, for validation. */
export const PROGRESS_TONES: readonly ProgressTone[] = ['sit', 'busy', 'reorder'];

/**
 * The call's audio says the network, not the callee, is on the line: special
 * information tones (an intercept or vacant-number announcement), a busy or a
 * reorder tone — before the answer (early media) or after a carrier answered
 * with a recording.
 */
export interface CallProgressToneEvent extends Stamped {
  type: 'call.progressTone';
  callId: string;
  tone: ProgressTone;
  /** For `sit`: the kind, when the tones told it. */
  sitKind?: SitKind;
}

/** The call ended. */
export interface CallEndedEvent extends Stamped {
  type: 'call.ended';
  callId: string;
  ending: CallEnding;
}

/** Every event a voice provider sends about a call. */
export type ProviderEvent =
  | CallDialedEvent
  | CallDialFailedEvent
  | CallRingingEvent
  | CallAnsweredEvent
  | CallAnsweredByEvent
  | CallDigitsSentEvent
  | CallPromptFinishedEvent
  | CallDigitsEvent
  | CallInputTimeoutEvent
  | CallProgressToneEvent
  | CallEndedEvent;

/** The host cancels the verification; the live call, if any, is hung up. */
export interface CancelEvent extends Stamped {
  type: 'verification.cancel';
}

/**
 * Time has reached `at`: every deadline due by then fires, in due order, each at
 * its own due time. The machine raises it from its own timer; a host that
 * drives the machine without them (e.g. after restoring a saved verification)
 * sends it to catch up.
 */
export interface TickEvent {
  type: 'verification.tick';
  /** Clock reading (milliseconds). */
  at: number;
  /**
   * The host is catching up on deadlines that passed while no process ran
   * (after an outage): a total deadline it finds ends the verification as
   * `expired` with the reason `service-interrupted`.
   */
  resumed?: boolean;
  /**
   * An event that arrived at or after a deadline, delivered once the deadlines
   * due by then have fired. Raised by the machine only: the runtime and the
   * durable step refuse it from outside, and the machine ignores a tick that
   * carries another tick or a malformed event.
   * @internal
   */
  redeliver?: ProviderEvent | CancelEvent;
}

/** Every event the verification machine accepts. */
export type VerificationEvent = ProviderEvent | CancelEvent | TickEvent;

/** The type names of every provider event. */
export const PROVIDER_EVENT_TYPES: readonly ProviderEvent['type'][] = [
  'call.dialed',
  'call.dialFailed',
  'call.ringing',
  'call.answered',
  'call.answeredBy',
  'call.digitsSent',
  'call.promptFinished',
  'call.digits',
  'call.inputTimeout',
  'call.progressTone',
  'call.ended',
];
