/**
 * The Twilio provider's decisions, as plain functions over plain data: what a
 * webhook means for the machine (`receiveTwilio`), and what the machine's
 * commands mean for Twilio — TwiML answers and REST effects (`planTwilio`).
 * The state of one verification's calls is JSON, so a verification can be
 * saved after any step and continued by another process; the in-process
 * session and the durable service drive the same functions.
 *
 * A call's TwiML is handed out as numbered documents: every URL in a document
 * carries its number (`s`), so a request always says which document made it.
 *
 * @module
 */
import type { JsonValue } from '../../json.js';
import type { DialCommand, PlayPromptCommand, ProviderCommand } from '../../machine/commands.js';
import type { AnsweredBy, CallEnding, ProviderEvent } from '../../machine/events.js';
import type { PromptSegment, SpeechSettings } from '../../machine/types.js';
import { type HeardOnCall, toHeardEvent } from '../heardOnCall.js';
import { IGNORED_MESSAGE_REASONS, type ProviderEffect, type Reception } from '../types.js';
import { TWILIO_CALL_STATUS_EVENTS, toAnsweredBy, toCallEnding, toTwilioCallStatus } from './callStatusMapping.js';
import type { TwilioCallWebhook } from './callWebhook.js';
import { toCallCreateParams } from './dialRequest.js';
import {
  type KeyCollectionSettings,
  planGatherChain,
  readGatherReport,
  silenceAfterReportSeconds,
} from './keyCollection.js';
import type { TwilioCallCreateParams, TwilioCallUpdateParams } from './twilioCallsApi.js';
import {
  MAX_INLINE_TWIML_CHARS,
  type MediaStreamStart,
  toEmptyTwiml,
  toGatherTimeoutSeconds,
  toGatherTwiml,
  toHangUpTwiml,
  toHoldTwiml,
  toRedirectTwiml,
  toSendDigitsTwiml,
} from './twiml.js';
import { withDefaultVoice } from './voices.js';
import { type GatherShape, TWIML_ROUTES, type TwilioWebhookRoute, toWebhookUrl } from './webhookRoutes.js';

/** How far a call has come, as Twilio reported it. */
export type TwilioCallPhase = 'dialing' | 'placed' | 'ringing' | 'answered' | 'ended';

/**
 * Where the call's TwiML stands: `none` before Twilio asked for any,
 * `executing` while it runs a document we gave, `holding` while it pauses
 * before coming back, `finished` once it was told to hang up or ended by REST.
 */
export type TwimlState = 'none' | 'executing' | 'holding' | 'finished';

/** What a document makes the call do next. */
export type DocumentKind = 'run' | 'hold' | 'hang-up';

/** A TwiML document; the URLs inside carry its number as `s`. */
export interface TwimlDocument {
  readonly step: number;
  readonly twiml: string;
  readonly kind: DocumentKind;
  /** The routes its URLs point to: the only requests it can make. */
  readonly routes: readonly TwilioWebhookRoute[];
  /** It starts the call's Media Stream. */
  readonly startsStream?: boolean;
}

/** The prompt whose keys the call's Gathers collect. */
export interface PromptState {
  readonly seq: number;
  readonly collect: Readonly<PlayPromptCommand['collect']>;
}

/**
 * One call, as the provider keeps it. Plain JSON. Its fields are set, its
 * nested values (lists, documents, prompt, request) replaced whole and never
 * changed in place, so that a step copies only the calls (see `copy`).
 */
export interface TwilioCall {
  attempt: number;
  /** Random dial token in every URL of the call. */
  token: string;
  callSid: string | null;
  phase: TwilioCallPhase;
  /** `call.dialed` was reported (from the REST reply or the first webhook). */
  dialedReported: boolean;
  /** The machine hung up (or gave up on) this call: nothing more about it is reported. */
  released: boolean;
  /** Its create failed without telling whether Twilio created the call (see `mayHaveBeenPlacedUnknowingly`). */
  createOutcomeUnknown?: boolean;
  answeredByReported: boolean;
  /** The dial asked for answering-machine detection (absent in states saved before it was kept: no). */
  machineDetection?: boolean;
  /** A document that starts the call's Media Stream was served. */
  streamStarted?: boolean;
  /** `SequenceNumber`s of the status callbacks seen. */
  seenSequenceNumbers: readonly string[];
  twiml: TwimlState;
  /** Number of the document Twilio runs now. */
  step: number;
  lastStep: number;
  current: TwimlDocument | null;
  /** A document waiting for the next request (while holding, or before the first). */
  pending: TwimlDocument | null;
  /** The last request answered, for a retry of it. */
  lastAnswer: { readonly key: string; readonly twiml: string } | null;
  prompt: PromptState | null;
  /**
   * The TwiML request being handled (set by `receive`, used by `plan`): whether
   * its answer is the machine's to give, and the Gather that reported keys, if any.
   */
  request: { readonly key: string; readonly awaitsMachine: boolean; readonly reportedBy: GatherShape | null } | null;
}

/** The Twilio state of one verification: its calls, in dial order. */
export interface TwilioState {
  calls: TwilioCall[];
}

/** A validated webhook, or what a REST request to Twilio learnt. */
export type TwilioInbound =
  | { kind: 'webhook'; webhook: TwilioCallWebhook }
  | { kind: 'created'; token: string; callSid: string }
  | {
      kind: 'create-failed';
      token: string;
      ending: CallEnding;
      /** No answer told whether Twilio created the call (a timeout, a lost connection, a 5xx): it may have. */
      mayHaveBeenPlaced?: boolean;
    }
  | { kind: 'heard'; token: string; callSid: string; heard: HeardOnCall };

/** A REST request to make after the step. */
export type TwilioEffect =
  | { kind: 'create'; token: string; attempt: number; params: TwilioCallCreateParams | null }
  | { kind: 'update'; callSid: string; params: TwilioCallUpdateParams };

/** What the decisions need to know. */
export interface TwilioControlSettings {
  publicBaseUrl: string;
  defaultCallerId: string | null;
  keyCollection: KeyCollectionSettings;
  /** `<Pause length>` of a "come back" answer, in seconds. */
  pollPauseSeconds: number;
  /** `<Say>` voices by language for requests that name none. */
  defaultVoices: Readonly<Record<string, string>>;
  /** A fresh random dial token (32 lowercase hex digits). */
  createToken(): string;
  /** Media Streams to start on every answered call, or none (`null`, absent). */
  mediaStream?: MediaStreamSettings | null;
}

/** Where answered calls send their audio, and how a stream proves which call it belongs to. */
export interface MediaStreamSettings {
  /** The `wss://` URL of the WebSocket endpoint. */
  url: string;
  /** The proof a stream of the call with this dial token and CallSid carries in its parameters. */
  sign(token: string, callSid: string): string;
}

/**
 * Names of the `<Parameter>`s a stream carries: the call's dial token and the
 * proof that this provider started the stream on that call.
 */
export const STREAM_PARAMETERS = { token: 't', proof: 'm' } as const;

/** The binding kind under which webhooks find their verification: the dial token of their URL. */
export const TWILIO_TOKEN_BINDING = 'twilio-token';

const GATHER_ROUTES: TwilioWebhookRoute[] = ['gather', 'timeout'];
const TWIML_STATE_AFTER: Readonly<Record<DocumentKind, TwimlState>> = {
  run: 'executing',
  hold: 'holding',
  'hang-up': 'finished',
};
/** The phases in the order a call goes through them. */
const PHASE_ORDER: Readonly<Record<TwilioCallPhase, number>> = {
  dialing: 0,
  placed: 1,
  ringing: 2,
  answered: 3,
  ended: 4,
};
/** How many status callback numbers are remembered per call (a call has about five). */
const MAX_SEQUENCE_NUMBERS = 32;

const HANG_UP_TWIML = toHangUpTwiml([], {});
const EMPTY_TWIML = toEmptyTwiml();
/** Why the audit log says a message changed nothing: it is about a call that is not (or no longer) the verification's. */
const STALE = IGNORED_MESSAGE_REASONS.stale;

/** A verification's state before its first call. */
export function initialTwilioState(): TwilioState {
  return { calls: [] };
}

/** The key a retry of `inbound` shares with the first request, for stored answers. */
export function twilioIdempotencyKey(inbound: TwilioInbound): string | null {
  if (inbound.kind !== 'webhook') return null;
  const { route, query, params } = inbound.webhook;
  const detail =
    route === 'status' ? (params.SequenceNumber ?? null) : route === 'answer' || route === 'amd' ? '' : query.step;
  return detail === null ? null : `${query.token}:${params.CallSid}:${route}:${detail}`;
}

/** The answer to a request about a call that is not (or no longer) ours. */
export function staleTwilioAnswer(route: TwilioWebhookRoute): string {
  return TWIML_ROUTES.includes(route) ? HANG_UP_TWIML : EMPTY_TWIML;
}

// ── Receiving ───────────────────────────────────────────────────────────────

/** What a message means, as a provider's {@link Reception}, with its answer always said (`null`: none). */
export type TwilioReception = Reception<TwilioState> & { answer: string | null };

/**
 * What a message means: events for the machine, and the answer when it needs
 * no decision of the machine (a callback, a retry, a stale call).
 */
export function receiveTwilio(state: TwilioState, inbound: TwilioInbound): TwilioReception {
  const next = copy(state);
  const events: ProviderEvent[] = [];
  const call = next.calls.find(
    (c) => c.token === (inbound.kind === 'webhook' ? inbound.webhook.query.token : inbound.token),
  );
  switch (inbound.kind) {
    case 'created': {
      const audit = { what: 'call created', reason: call === undefined || call.released ? STALE : null };
      if (call === undefined) return { state: next, events, answer: null, audit };
      // A dial given up on meanwhile (its session closed): `plan` ends the call it made.
      if (call.released && !call.dialedReported) call.callSid = inbound.callSid;
      else acknowledgeDial(call, inbound.callSid, events);
      return { state: next, events, answer: null, audit };
    }
    case 'create-failed':
      // A webhook about this call already gave its CallSid: the call exists whatever the REST reply said (when the
      // machine had let it go, `plan` ends it).
      if (call !== undefined && call.callSid === null) {
        call.phase = 'ended';
        call.released = true;
        if (inbound.mayHaveBeenPlaced === true) call.createOutcomeUnknown = true;
        events.push({ type: 'call.dialFailed', attempt: call.attempt, ending: inbound.ending });
      }
      return {
        state: next,
        events,
        answer: null,
        audit: { what: 'call create failed', reason: call === undefined || call.released ? STALE : null },
      };
    case 'webhook':
      return receiveWebhook(next, call, inbound.webhook, events);
    case 'heard': {
      const ours = call !== undefined && call.callSid === inbound.callSid && !call.released;
      if (call !== undefined) onHeard(call, inbound, events);
      return { state: next, events, answer: null, audit: { what: 'heard on call', reason: ours ? null : STALE } };
    }
  }
}

/**
 * What the call's Media Stream heard: an answered call of ours still up,
 * identified by both its dial token and its CallSid. A verdict counts once,
 * whether Twilio's detection or the stream's gave it first (see `takesVerdict`).
 */
function onHeard(call: TwilioCall, inbound: Extract<TwilioInbound, { kind: 'heard' }>, events: ProviderEvent[]): void {
  if (call.callSid !== inbound.callSid || call.released || call.phase !== 'answered') return;
  const event = toHeardEvent(inbound.heard, inbound.callSid, call.machineDetection === true);
  if (event === null) return;
  if (event.type === 'call.answeredBy' && !takesVerdict(call, event.answeredBy)) return;
  events.push(event);
}

/**
 * Whether a verdict on who answered is told to the machine: the first
 * conclusive one counts, whether Twilio's detection or the stream's gave it;
 * `unknown` is no verdict, so a conclusive one may still follow it.
 */
function takesVerdict(call: TwilioCall, answeredBy: AnsweredBy): boolean {
  if (call.answeredByReported) return false;
  if (answeredBy !== 'unknown') call.answeredByReported = true;
  return true;
}

function receiveWebhook(
  state: TwilioState,
  call: TwilioCall | undefined,
  webhook: TwilioCallWebhook,
  events: ProviderEvent[],
): TwilioReception {
  const what = `webhook ${webhook.route}`;
  // Signed by Twilio for one of this verification's tokens, but not about the call the token was given to.
  const stale = { state, events, answer: staleTwilioAnswer(webhook.route), audit: { what, reason: STALE } };
  if (call === undefined) return stale;
  if (call.callSid !== null && call.callSid !== webhook.params.CallSid) return stale;
  if (!call.dialedReported && call.released) {
    onLetGoCall(call, webhook);
    return stale;
  }
  acknowledgeDial(call, webhook.params.CallSid, events);
  // A call let go after its dial was reported reports nothing more: its webhooks are stale.
  const audit = { what, reason: call.released ? STALE : null };
  switch (webhook.route) {
    case 'status':
      onStatusCallback(call, webhook, events);
      return { state, events, answer: EMPTY_TWIML, audit };
    case 'amd':
      onAnsweredBy(call, webhook.params.AnsweredBy, events);
      return { state, events, answer: EMPTY_TWIML, audit };
    default:
      return { ...onTwimlRequest(state, call, webhook, events), audit };
  }
}

/**
 * A webhook of a call the machine never had: its create failed on our side (a
 * timeout, a reset connection, a 5xx) although Twilio placed it, or its session
 * closed before the CallSid was known. Nothing is reported; the CallSid and how
 * far the call has come are kept, so that `plan` ends it by REST — `canceled`
 * before the answer, `completed` after — unless Twilio says it ended already or
 * the stale answer of this TwiML request (`<Hangup/>`) ends it.
 */
function onLetGoCall(call: TwilioCall, webhook: TwilioCallWebhook): void {
  const reported = phaseReportedBy(webhook);
  // Until the CallSid is known the phase says nothing about the call: a failed create left it `ended`.
  if (call.callSid === null || PHASE_ORDER[reported] > PHASE_ORDER[call.phase]) call.phase = reported;
  call.callSid = webhook.params.CallSid;
  if (TWIML_ROUTES.includes(webhook.route)) call.twiml = 'finished';
}

/** How far a call has come by what one of its webhooks says: TwiML requests and AMD results come from answered calls. */
function phaseReportedBy(webhook: TwilioCallWebhook): TwilioCallPhase {
  const status = toTwilioCallStatus(webhook.params.CallStatus);
  const meaning = status === null ? 'none' : TWILIO_CALL_STATUS_EVENTS[status].event;
  if (meaning === 'ended') return 'ended';
  if (meaning === 'answered' || webhook.route !== 'status') return 'answered';
  return meaning === 'ringing' ? 'ringing' : 'placed';
}

/** Reports `call.dialed` the first time the CallSid is known: from the REST reply or from Twilio's first webhook. */
function acknowledgeDial(call: TwilioCall, callSid: string, events: ProviderEvent[]): void {
  if (call.dialedReported) return;
  call.callSid = callSid;
  call.dialedReported = true;
  if (call.phase === 'dialing') call.phase = 'placed';
  events.push({ type: 'call.dialed', attempt: call.attempt, callId: callSid });
}

function onStatusCallback(call: TwilioCall, webhook: TwilioCallWebhook, events: ProviderEvent[]): void {
  const { params } = webhook;
  const sequence = params.SequenceNumber;
  if (sequence !== undefined) {
    if (call.seenSequenceNumbers.includes(sequence)) return;
    call.seenSequenceNumbers = [...call.seenSequenceNumbers, sequence].slice(-MAX_SEQUENCE_NUMBERS);
  }
  const status = toTwilioCallStatus(params.CallStatus);
  if (status === null || call.phase === 'ended') return;
  const meaning = TWILIO_CALL_STATUS_EVENTS[status];
  if (call.released) {
    if (meaning.event === 'ended') call.phase = 'ended';
    return;
  }
  if (meaning.event === 'ringing') {
    if (call.phase === 'placed') {
      call.phase = 'ringing';
      events.push({ type: 'call.ringing', callId: callIdOf(call) });
    }
    return;
  }
  if (meaning.event === 'answered') {
    markAnswered(call, events);
    onAnsweredBy(call, params.AnsweredBy, events);
    return;
  }
  if (meaning.event !== 'ended') return;
  // `completed` means connected: the answer is reported first when its own callback was late or lost.
  if (status === 'completed') {
    markAnswered(call, events);
    onAnsweredBy(call, params.AnsweredBy, events);
  }
  // A Gather still running may post keys pressed before the hang-up after this callback.
  const keysMayFollow = status === 'completed' && call.twiml === 'executing' && call.current?.routes.includes('gather');
  call.phase = 'ended';
  call.pending = null;
  const ending = toCallEnding(meaning.status, params);
  events.push({
    type: 'call.ended',
    callId: callIdOf(call),
    ending: keysMayFollow === true ? { ...ending, keysMayFollow: true } : ending,
  });
}

function onAnsweredBy(call: TwilioCall, value: string | undefined, events: ProviderEvent[]): void {
  const answeredBy = toAnsweredBy(value);
  if (answeredBy === null || call.released || !takesVerdict(call, answeredBy)) return;
  // After the call's end too: the machine may still be waiting out a grace in which the verdict counts.
  if (call.phase !== 'ended') markAnswered(call, events);
  events.push({ type: 'call.answeredBy', callId: callIdOf(call), answeredBy });
}

function markAnswered(call: TwilioCall, events: ProviderEvent[]): void {
  if (call.phase === 'answered' || call.phase === 'ended') return;
  call.phase = 'answered';
  events.push({ type: 'call.answered', callId: callIdOf(call) });
}

function onTwimlRequest(
  state: TwilioState,
  call: TwilioCall,
  webhook: TwilioCallWebhook,
  events: ProviderEvent[],
): TwilioReception {
  const key = `${webhook.route}:${webhook.query.step ?? '-'}`;
  const answered = (answer: string) => ({ state, events, answer });
  // Twilio retries a request once when the connection fails: the same request gets the same answer.
  if (call.lastAnswer?.key === key) return answered(call.lastAnswer.twiml);
  if (call.phase === 'ended') {
    // Keys pressed before the hang-up may be posted after its status callback: Twilio does not order the two.
    if (webhook.route === 'gather' && !call.released && isCurrentRequest(call, webhook)) {
      reportGatheredKeys(call, webhook, events);
    }
    call.lastAnswer = { key, twiml: HANG_UP_TWIML };
    return answered(HANG_UP_TWIML);
  }
  if (call.pending !== null) {
    const document = call.pending;
    return answered(serveAnswer(call, key, document));
  }
  if (call.released || call.twiml === 'finished') return answered(HANG_UP_TWIML);
  // Another request of the call is waiting for the machine: this one gets what the call runs now.
  if (call.request !== null) return answered(call.current?.twiml ?? HANG_UP_TWIML);
  if (!isCurrentRequest(call, webhook)) return answered(call.current?.twiml ?? HANG_UP_TWIML);
  const reportedBy = webhook.route === 'gather' ? (webhook.query.shape ?? 'key') : null;
  call.request = { key, awaitsMachine: reportTwimlRequest(call, webhook, events), reportedBy };
  return { state, events, answer: null };
}

/** Whether a TwiML request comes from what the call runs now (not from a document replaced since). */
function isCurrentRequest(call: TwilioCall, webhook: TwilioCallWebhook): boolean {
  return webhook.route === 'answer'
    ? call.twiml === 'none'
    : webhook.query.step === call.step && call.current?.routes.includes(webhook.route) === true;
}

/** Reports the keys of a Gather's action; returns whether they end an entry (a `#`), which the machine answers. */
function reportGatheredKeys(call: TwilioCall, webhook: TwilioCallWebhook, events: ProviderEvent[]): boolean {
  const prompt = call.prompt;
  const report = readGatherReport(webhook.query.shape ?? 'key', webhook.params);
  if (prompt === null || webhook.query.promptSeq !== prompt.seq || report === null) return false;
  events.push({ type: 'call.digits', callId: callIdOf(call), digits: report.keys });
  return report.keys.includes('#');
}

/** Reports what a TwiML request says happened; returns whether the machine is to answer it with a command. */
function reportTwimlRequest(call: TwilioCall, webhook: TwilioCallWebhook, events: ProviderEvent[]): boolean {
  const callId = callIdOf(call);
  switch (webhook.route) {
    case 'answer':
      markAnswered(call, events);
      return true;
    case 'digits-sent':
      events.push({ type: 'call.digitsSent', callId });
      return true;
    case 'poll':
      return true;
    case 'timeout': {
      const prompt = call.prompt;
      if (prompt === null || webhook.query.promptSeq !== prompt.seq) return true;
      // Twilio never says when the nested prompt ended; the machine takes a timeout during a prompt as its end too.
      events.push({ type: 'call.inputTimeout', callId, promptSeq: prompt.seq });
      return true;
    }
    case 'gather':
      return reportGatheredKeys(call, webhook, events);
    default:
      return false;
  }
}

// ── Planning ────────────────────────────────────────────────────────────────

/** What the machine's commands mean for Twilio: the answer to the open request, REST effects, new bindings. */
export interface TwilioPlan {
  state: TwilioState;
  effects: TwilioEffect[];
  /** The TwiML answer of the request being handled, when it was the machine's to give. */
  answer: string | null;
  /** Dial tokens of new calls. */
  tokens: string[];
}

/**
 * Carries out the machine's commands of one step. When a TwiML request is being
 * handled (`inbound`), a command for its call becomes its answer; with none,
 * the call keeps collecting keys or holds and comes back (`holdWhenSilent`;
 * otherwise `answer` stays `null` and the caller may ask again later).
 */
export function planTwilio(
  state: TwilioState,
  commands: readonly ProviderCommand[],
  inbound: TwilioInbound | null,
  settings: TwilioControlSettings,
  options: { holdWhenSilent: boolean } = { holdWhenSilent: true },
): TwilioPlan {
  const next = copy(state);
  const plan: TwilioPlan = { state: next, effects: [], answer: null, tokens: [] };
  const open = openRequestOf(next, inbound);
  for (const command of commands) carryOut(plan, command, open, settings);
  if (open !== null && open.call.request !== null) {
    const { call } = open;
    const request = call.request as NonNullable<TwilioCall['request']>;
    if (plan.answer === null) {
      const fallback = silentAnswer(call, request, options.holdWhenSilent, settings);
      if (fallback !== null) plan.answer = serveAnswer(call, request.key, fallback);
    }
    if (plan.answer !== null) call.request = null;
  }
  for (const call of next.calls) reconcile(plan, call);
  return plan;
}

interface OpenRequest {
  call: TwilioCall;
  inbound: TwilioInbound;
}

function openRequestOf(state: TwilioState, inbound: TwilioInbound | null): OpenRequest | null {
  if (inbound === null || inbound.kind !== 'webhook') return null;
  const call = state.calls.find((c) => c.token === inbound.webhook.query.token);
  return call === undefined || call.request === null ? null : { call, inbound };
}

function carryOut(
  plan: TwilioPlan,
  command: ProviderCommand,
  open: OpenRequest | null,
  settings: TwilioControlSettings,
): void {
  switch (command.type) {
    case 'dial':
      dial(plan, command, settings);
      return;
    case 'sendDigits': {
      const call = liveCall(plan.state, command.callId);
      if (call === undefined) return;
      deliver(plan, call, open, settings, 'run', ['digits-sent'], (step, stream) =>
        toSendDigitsTwiml(command.digits, url(settings, call, 'digits-sent', { step }), stream),
      );
      return;
    }
    case 'playPrompt': {
      const call = liveCall(plan.state, command.callId);
      if (call === undefined) return;
      // Its own copy: the state shares its nested values from step to step, and the command is handed to observers too.
      const prompt: PromptState = { seq: command.promptSeq, collect: { ...command.collect } };
      call.prompt = prompt;
      const silenceSeconds = toGatherTimeoutSeconds(command.collect.inputTimeoutMs);
      deliver(plan, call, open, settings, 'run', GATHER_ROUTES, (step, stream) =>
        gatherTwiml(
          settings,
          call,
          prompt,
          step,
          silenceSeconds,
          command.segments,
          speechOf(command.speech, settings),
          stream,
        ),
      );
      return;
    }
    case 'hangUp': {
      const call = liveCall(plan.state, command.callId);
      if (call === undefined || call.released) return;
      call.released = true;
      if (call.phase === 'ended' || call.twiml === 'finished') return;
      const answering = open?.call === call && call.request !== null;
      const byRest = call.phase !== 'answered' || command.farewell.length === 0 || call.twiml === 'none';
      // Not ringing yet, nothing to say, or no TwiML running: ending the call by REST is quicker — now, before
      // any later command of the step (the next dial) is carried out.
      if (!answering && call.twiml !== 'holding' && byRest) {
        reconcile(plan, call);
        return;
      }
      deliver(
        plan,
        call,
        open,
        settings,
        'hang-up',
        [],
        () => toHangUpTwiml(command.farewell, speechOf(command.speech, settings)),
        true,
      );
      return;
    }
  }
}

function dial(plan: TwilioPlan, command: DialCommand, settings: TwilioControlSettings): void {
  const token = settings.createToken();
  plan.state.calls.push({ ...createCall(command.attempt, token), machineDetection: command.machineDetection });
  const from = command.callerId ?? settings.defaultCallerId;
  plan.tokens.push(token);
  plan.effects.push({
    kind: 'create',
    token,
    attempt: command.attempt,
    params: from === null ? null : toCallCreateParams(command, { from, publicBaseUrl: settings.publicBaseUrl, token }),
  });
}

/**
 * Hands a document to the call: as the answer of the open request, to the next
 * request (before the first, or while holding), or by a REST update.
 */
function deliver(
  plan: TwilioPlan,
  call: TwilioCall,
  open: OpenRequest | null,
  settings: TwilioControlSettings,
  kind: DocumentKind,
  routes: TwilioWebhookRoute[],
  build: DocumentBuilder,
  evenIfReleased = false,
): void {
  if ((call.released && !evenIfReleased) || call.phase === 'ended' || call.twiml === 'finished') return;
  const document = newDocument(call, settings, kind, routes, build);
  if (open?.call === call && call.request !== null) {
    plan.answer = serveAnswer(call, call.request.key, document);
    call.request = null;
    return;
  }
  if (call.twiml === 'none' || call.twiml === 'holding') {
    call.pending = document;
    return;
  }
  if (call.callSid === null) {
    serve(call, document);
    return;
  }
  if (document.twiml.length <= MAX_INLINE_TWIML_CHARS) {
    serve(call, document);
    plan.effects.push({ kind: 'update', callSid: call.callSid, params: { twiml: document.twiml } });
    return;
  }
  // Twilio refuses longer inline TwiML (a long input timeout is a long chain of Gathers): the call fetches it.
  call.lastStep += 1;
  const step = call.lastStep;
  const fetch: TwimlDocument = {
    step,
    twiml: toRedirectTwiml(url(settings, call, 'poll', { step })),
    kind: 'hold',
    routes: ['poll'],
  };
  serve(call, fetch);
  call.pending = document;
  plan.effects.push({ kind: 'update', callSid: call.callSid, params: { twiml: fetch.twiml } });
}

/**
 * The answer to a request the machine said nothing about: keep collecting keys
 * (for the rest of the input timeout, which the reported keys restarted), or
 * hold and come back.
 */
function silentAnswer(
  call: TwilioCall,
  request: NonNullable<TwilioCall['request']>,
  holdWhenSilent: boolean,
  settings: TwilioControlSettings,
): TwimlDocument | null {
  if (call.released || call.phase === 'ended' || call.twiml === 'finished') {
    return { step: call.step, twiml: HANG_UP_TWIML, kind: 'hang-up', routes: [] };
  }
  if (!request.awaitsMachine && call.prompt !== null) {
    const prompt = call.prompt;
    const inputSeconds = toGatherTimeoutSeconds(prompt.collect.inputTimeoutMs);
    const silenceSeconds = silenceAfterReportSeconds(
      request.reportedBy ?? 'key',
      inputSeconds,
      prompt.collect.mode,
      settings.keyCollection,
    );
    return newDocument(call, settings, 'run', GATHER_ROUTES, (step, stream) =>
      gatherTwiml(settings, call, prompt, step, silenceSeconds, [], {}, stream),
    );
  }
  if (!holdWhenSilent) return null;
  return newDocument(call, settings, 'hold', ['poll'], (step, stream) =>
    toHoldTwiml(url(settings, call, 'poll', { step }), settings.pollPauseSeconds, stream),
  );
}

/**
 * Ends by REST a call the machine let go that still runs: before the answer it
 * is canceled, after it completed (Twilio documents that `canceled` does not
 * end a call in progress). A call holding for a farewell fetches it instead.
 */
function reconcile(plan: TwilioPlan, call: TwilioCall): void {
  if (!awaitsHangUp(call)) return;
  call.twiml = 'finished';
  call.pending = null;
  plan.effects.push({
    kind: 'update',
    callSid: call.callSid,
    params: { status: call.phase === 'answered' ? 'completed' : 'canceled' },
  });
}

/**
 * A call the machine let go (or never had: placed although its create failed)
 * that is still up and that only a REST update ends: `plan` ends it. A call
 * holding for its farewell fetches it instead.
 */
export function awaitsHangUp(call: TwilioCall): call is TwilioCall & { callSid: string } {
  return (
    call.released &&
    call.callSid !== null &&
    call.phase !== 'ended' &&
    call.twiml !== 'finished' &&
    !(call.twiml === 'holding' && call.pending?.kind === 'hang-up')
  );
}

/**
 * A call whose create failed without telling whether Twilio created it, and
 * of which no webhook came since: it may ring somewhere, and its first webhook
 * is what gives the CallSid to end it by. A dial never sent, or refused by
 * Twilio, placed no call.
 */
export function mayHaveBeenPlacedUnknowingly(call: TwilioCall): boolean {
  return call.callSid === null && call.createOutcomeUnknown === true;
}

/**
 * Ends everything still up: a verification is over (a session closed). Calls
 * holding for their farewell are left to fetch it.
 */
export function releaseAllTwilio(state: TwilioState): TwilioPlan {
  const next = copy(state);
  const plan: TwilioPlan = { state: next, effects: [], answer: null, tokens: [] };
  for (const call of next.calls) {
    call.released = true;
    reconcile(plan, call);
  }
  return plan;
}

/** A call holding until Twilio comes back for its farewell. */
export function awaitsFinalTwiml(call: TwilioCall): boolean {
  return call.twiml === 'holding' && call.pending?.kind === 'hang-up' && call.phase !== 'ended';
}

// ── Documents ───────────────────────────────────────────────────────────────

/** Builds a document numbered `step`, starting `stream` first when given. */
type DocumentBuilder = (step: number, stream: MediaStreamStart | null) => string;

function newDocument(
  call: TwilioCall,
  settings: TwilioControlSettings,
  kind: DocumentKind,
  routes: TwilioWebhookRoute[],
  build: DocumentBuilder,
): TwimlDocument {
  call.lastStep += 1;
  const stream = kind === 'hang-up' ? null : streamStartOf(call, settings);
  const document: TwimlDocument = { step: call.lastStep, twiml: build(call.lastStep, stream), kind, routes };
  return stream === null ? document : { ...document, startsStream: true };
}

/** The Media Stream the call's next document starts: the first one it runs, when streams are configured. */
function streamStartOf(call: TwilioCall, settings: TwilioControlSettings): MediaStreamStart | null {
  const { mediaStream } = settings;
  if (mediaStream === undefined || mediaStream === null || call.streamStarted === true || call.callSid === null) {
    return null;
  }
  return {
    url: mediaStream.url,
    parameters: {
      [STREAM_PARAMETERS.token]: call.token,
      [STREAM_PARAMETERS.proof]: mediaStream.sign(call.token, call.callSid),
    },
  };
}

/** Serves a document as the answer of a request and remembers it for a retry of that request. */
function serveAnswer(call: TwilioCall, key: string, document: TwimlDocument): string {
  if (call.pending !== null && call.pending.step === document.step) call.pending = null;
  serve(call, document);
  call.lastAnswer = { key, twiml: document.twiml };
  return document.twiml;
}

function serve(call: TwilioCall, document: TwimlDocument): void {
  if (document.startsStream === true) call.streamStarted = true;
  call.step = document.step;
  call.current = document;
  call.twiml = TWIML_STATE_AFTER[document.kind];
}

function gatherTwiml(
  settings: TwilioControlSettings,
  call: TwilioCall,
  prompt: PromptState,
  step: number,
  silenceSeconds: number,
  segments: readonly PromptSegment[],
  speech: SpeechSettings,
  stream: MediaStreamStart | null,
): string {
  const gathers = planGatherChain(prompt.collect.mode, settings.keyCollection, silenceSeconds);
  const shape = gathers[0]?.shape ?? 'key';
  return toGatherTwiml({
    segments,
    speech,
    gathers,
    actionUrl: url(settings, call, 'gather', { step, promptSeq: prompt.seq, shape }),
    timeoutUrl: url(settings, call, 'timeout', { step, promptSeq: prompt.seq }),
    stream,
  });
}

function speechOf(speech: SpeechSettings, settings: TwilioControlSettings): SpeechSettings {
  return withDefaultVoice(speech, settings.defaultVoices);
}

function url(
  settings: TwilioControlSettings,
  call: TwilioCall,
  route: 'gather' | 'timeout' | 'digits-sent' | 'poll',
  query: { step: number; promptSeq?: number; shape?: GatherShape },
): string {
  return toWebhookUrl(settings.publicBaseUrl, route, { token: call.token, ...query });
}

// ── Helpers ─────────────────────────────────────────────────────────────────

function createCall(attempt: number, token: string): TwilioCall {
  return {
    attempt,
    token,
    callSid: null,
    phase: 'dialing',
    dialedReported: false,
    released: false,
    answeredByReported: false,
    seenSequenceNumbers: [],
    twiml: 'none',
    step: 0,
    lastStep: 0,
    current: null,
    pending: null,
    lastAnswer: null,
    prompt: null,
    request: null,
  };
}

/** The call a command is about: the latest with that CallSid (a mock may hand out the same one twice). */
function liveCall(state: TwilioState, callId: string): TwilioCall | undefined {
  for (let i = state.calls.length - 1; i >= 0; i--) {
    const call = state.calls[i];
    if (call?.callSid === callId) return call;
  }
  return undefined;
}

function callIdOf(call: TwilioCall): string {
  return call.callSid ?? '';
}

/**
 * The state a step changes: the list of calls and each call. Nested values are
 * never changed in place (their types are read-only), so they are shared with
 * the state before the step instead of copied (a deep copy cost more than the
 * rest of a webhook's handling here).
 */
function copy(state: TwilioState): TwilioState {
  return { ...state, calls: state.calls.map((call) => ({ ...call })) };
}

/** The state as JSON, for the store. */
export function toJson(state: TwilioState): JsonValue {
  return state as unknown as JsonValue;
}

/** A REST effect as the outbox keeps it: a create happens at most once, an update until it holds. */
export function toProviderEffect(effect: TwilioEffect): ProviderEffect {
  const payload = effect as unknown as JsonValue;
  return effect.kind === 'create'
    ? { delivery: 'at-most-once', dialAttempt: effect.attempt, payload }
    : { delivery: 'at-least-once', payload };
}
