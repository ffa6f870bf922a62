/**
 * One verification's session with Twilio: it turns the machine's commands into
 * REST calls and TwiML, and the calls' webhooks into machine events.
 *
 * A call's TwiML is handed out in "exchanges": Twilio asks (answer, Gather
 * action, Redirect), the session reports what happened to the machine, and the
 * command the machine gives in reply — executed synchronously while the events
 * are delivered — becomes the answer. When the machine needs a moment (a PIN
 * check), the exchange waits a bounded time, then answers with a short pause
 * and a Redirect to come back.
 *
 * @module
 */
import { VoiceMfaError } from '../../errors.js';
import type {
  DialCommand,
  HangUpCommand,
  PlayPromptCommand,
  ProviderCommand,
  SendDigitsCommand,
} from '../../machine/commands.js';
import type { CallEnding, ProviderEvent } from '../../machine/events.js';
import type { ProviderSession } from '../types.js';
import type { TwilioCallRegistry, TwilioWebhookTarget } from './callRegistry.js';
import {
  TWILIO_CALL_STATUS_EVENTS,
  toAnsweredBy,
  toCallEnding,
  toDialFailure,
  toTwilioCallStatus,
} from './callStatusMapping.js';
import type { TwilioCallWebhook } from './callWebhook.js';
import { toCallCreateParams } from './dialRequest.js';
import {
  advanceEntry,
  chooseGatherShape,
  EMPTY_ENTRY,
  type EntryShape,
  type KeyCollectionSettings,
  readGatherReport,
} from './keyCollection.js';
import type { TwilioCallsApi, TwilioCallUpdateParams } from './twilioCallsApi.js';
import {
  toEmptyTwiml,
  toGatherTimeoutSeconds,
  toGatherTwiml,
  toHangUpTwiml,
  toHoldTwiml,
  toSendDigitsTwiml,
} from './twiml.js';
import { type GatherShape, type TwilioWebhookRoute, toWebhookUrl } from './webhookRoutes.js';

/**
 * What a session needs from its provider.
 *
 * @example
 * ```ts
 * const session = new TwilioSession('v-1', emit, { calls, registry, publicBaseUrl, defaultCallerId: null,
 *   keyCollection: { pinEntry: 'key-by-key', minPinLength: 4 }, replyWaitMs: 2_000, pollPauseSeconds: 1,
 *   createToken: () => randomBytes(16).toString('hex'), onError: console.error });
 * ```
 */
export interface TwilioSessionSettings {
  calls: TwilioCallsApi;
  registry: TwilioCallRegistry;
  publicBaseUrl: string;
  defaultCallerId: string | null;
  keyCollection: KeyCollectionSettings;
  /** How long an exchange waits for the machine's next command before answering "come back". */
  replyWaitMs: number;
  /** `<Pause length>` of the "come back" answer, in seconds. */
  pollPauseSeconds: number;
  /** A fresh random dial token (32 lowercase hex digits). */
  createToken(): string;
  /** Receives failures that happen in the background (a REST hang-up that failed). */
  onError(error: VoiceMfaError): void;
}

/** How far a call has come, as Twilio reported it. */
type CallPhase = 'dialing' | 'placed' | 'ringing' | 'answered' | 'ended';

/**
 * Where the call's TwiML stands: `none` before Twilio asked for any, `executing`
 * while it runs a document we gave, `holding` while it pauses before coming
 * back, `finished` once it was told to hang up.
 */
type TwimlState = 'none' | 'executing' | 'holding' | 'finished';

/** What a document makes the call do next. */
type DocumentKind = 'run' | 'hold' | 'hang-up';

/** A TwiML document and its number; the URLs inside carry the number as `s`. */
interface TwimlDocument {
  step: number;
  twiml: string;
  kind: DocumentKind;
  /** The routes its URLs point to: the only requests it can make. */
  routes: readonly TwilioWebhookRoute[];
}

interface Exchange {
  key: string;
  reply: TwimlDocument | null;
  wake: (() => void) | null;
  done: Promise<string>;
}

interface PromptState {
  seq: number;
  collect: PlayPromptCommand['collect'];
  entry: EntryShape;
}

interface CallRecord {
  attempt: number;
  token: string;
  callSid: string | null;
  phase: CallPhase;
  dialedReported: boolean;
  /** The machine hung up (or gave up on) this call: nothing more about it is reported. */
  released: boolean;
  answeredByReported: boolean;
  seenSequenceNumbers: Set<string>;
  twiml: TwimlState;
  /** Number of the document Twilio runs now. */
  step: number;
  lastStep: number;
  current: TwimlDocument | null;
  /** A document waiting for the next request (while holding, or before the first). */
  pending: TwimlDocument | null;
  exchange: Exchange | null;
  lastAnswer: { key: string; twiml: string } | null;
  prompt: PromptState | null;
  /** Set while a closed session waits for this call to fetch its final TwiML. */
  onFinalTwiml: (() => void) | null;
}

const GATHER_ROUTES: readonly TwilioWebhookRoute[] = ['gather', 'timeout'];

const TWIML_STATE_AFTER: Readonly<Record<DocumentKind, TwimlState>> = {
  run: 'executing',
  hold: 'holding',
  'hang-up': 'finished',
};

/** Time beyond the pause a call is given to come back for its final TwiML once the session closed. */
const FINAL_TWIML_MARGIN_MS = 3_000;

const HANG_UP_TWIML = toHangUpTwiml([], {});
const EMPTY_TWIML = toEmptyTwiml();

/** Sends events for one verification; the runtime's `emit`. */
type Emit = (event: ProviderEvent) => void;

/**
 * The session of one verification. Created by `TwilioVoiceProvider.openSession`.
 *
 * @example
 * ```ts
 * const session = provider.openSession({ verificationId: 'v-1', emit: (event) => actor.send(event) });
 * session.execute({ type: 'dial', attempt: 0, to: '+14255550100', extension: null, callerId: null, ringTimeoutMs: 30_000, machineDetection: false });
 * ```
 */
export class TwilioSession implements ProviderSession, TwilioWebhookTarget {
  private readonly callsByToken = new Map<string, CallRecord>();
  private readonly callsBySid = new Map<string, CallRecord>();
  /** REST requests under way; closing waits for them, so that no call outlives its verification unnoticed. */
  private readonly restWork = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly verificationId: string,
    private readonly emitEvent: Emit,
    private readonly settings: TwilioSessionSettings,
  ) {}

  execute(command: ProviderCommand): void | Promise<void> {
    if (this.closed) return;
    return this.track(this.carryOut(command));
  }

  private carryOut(command: ProviderCommand): void | Promise<void> {
    switch (command.type) {
      case 'dial':
        return this.dial(command);
      case 'sendDigits':
        return this.sendDigits(command);
      case 'playPrompt':
        return this.playPrompt(command);
      case 'hangUp':
        return this.hangUp(command);
    }
  }

  private track(work: void | Promise<void>): void | Promise<void> {
    if (work === undefined) return;
    const settled = work.catch(() => {});
    this.restWork.add(settled);
    void settled.finally(() => this.restWork.delete(settled));
    return work;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Dials in flight end their call themselves once its id is known (see `dial`).
    await Promise.all([...this.restWork]);
    const endings: Promise<void>[] = [];
    for (const call of this.callsByToken.values()) {
      call.exchange?.wake?.();
      if (call.twiml === 'holding' && call.pending?.kind === 'hang-up' && call.phase !== 'ended') {
        endings.push(this.awaitFinalTwiml(call));
        continue;
      }
      const live = call.callSid !== null && call.phase !== 'ended' && call.phase !== 'dialing' && !call.released;
      if (live) endings.push(this.endByRest(call, call.phase === 'answered' ? 'completed' : 'canceled'));
      call.released = true;
    }
    for (const outcome of await Promise.allSettled(endings)) {
      if (outcome.status === 'rejected') this.report('A call left at the end could not be hung up', outcome.reason);
    }
    await this.settings.registry.unregister(this.verificationId);
  }

  /**
   * A call paused before coming back for its farewell: it stays reachable until
   * it fetched it (the pause plus a margin), else it is hung up by REST.
   */
  private async awaitFinalTwiml(call: CallRecord): Promise<void> {
    const served = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(
        () => {
          call.onFinalTwiml = null;
          resolve(false);
        },
        this.settings.pollPauseSeconds * 1000 + FINAL_TWIML_MARGIN_MS,
      );
      call.onFinalTwiml = () => {
        clearTimeout(timer);
        call.onFinalTwiml = null;
        resolve(true);
      };
    });
    if (!served && call.phase !== 'ended') await this.endByRest(call, 'completed');
  }

  async handleCallWebhook(webhook: TwilioCallWebhook): Promise<string> {
    const call = this.callsByToken.get(webhook.query.token);
    if (call === undefined || (this.closed && call.onFinalTwiml === null)) return this.staleAnswer(webhook);
    if (call.callSid !== null && call.callSid !== webhook.params.CallSid) return this.staleAnswer(webhook);
    if (!call.dialedReported && call.released) {
      // The REST create failed (e.g. timed out) and was reported as such, yet Twilio placed the call: end it.
      void this.endLostCall(call, webhook.params.CallSid);
      return this.staleAnswer(webhook);
    }
    this.acknowledgeDial(call, webhook.params.CallSid);
    switch (webhook.route) {
      case 'status':
        this.onStatusCallback(call, webhook);
        return EMPTY_TWIML;
      case 'amd':
        this.onAnsweredBy(call, webhook.params.AnsweredBy);
        return EMPTY_TWIML;
      default:
        return this.onTwimlRequest(call, webhook);
    }
  }

  private staleAnswer(webhook: TwilioCallWebhook): string {
    return webhook.route === 'status' || webhook.route === 'amd' ? EMPTY_TWIML : HANG_UP_TWIML;
  }

  private emit(event: ProviderEvent): void {
    if (!this.closed) this.emitEvent(event);
  }

  // ── Commands ────────────────────────────────────────────────────────────

  private async dial(command: DialCommand): Promise<void> {
    const token = this.settings.createToken();
    const call = createCallRecord(command.attempt, token);
    this.callsByToken.set(token, call);
    const from = command.callerId ?? this.settings.defaultCallerId;
    if (from === null) {
      this.failDial(call, { status: 'failed', providerCode: 'NO_CALLER_ID' });
      return;
    }
    let callSid: string;
    try {
      await this.settings.registry.bindDialToken(token, this.verificationId);
      const created = await this.settings.calls.create(
        toCallCreateParams(command, { from, publicBaseUrl: this.settings.publicBaseUrl, token }),
      );
      callSid = created.sid;
    } catch (error) {
      // A webhook about this call already arrived: the call exists whatever the REST reply said.
      if (call.dialedReported) {
        this.report('Twilio reported an error for a call that was placed', error);
        return;
      }
      this.failDial(call, toDialFailure(error));
      return;
    }
    if (this.closed || call.released) {
      await this.endLostCall(call, callSid);
      return;
    }
    this.acknowledgeDial(call, callSid);
  }

  /** Ends a call nobody waits for any more (its dial was given up, or the session closed). */
  private endLostCall(call: CallRecord, callSid: string): Promise<void> {
    if (call.twiml === 'finished') return Promise.resolve();
    call.callSid = callSid;
    call.released = true;
    return this.endByRest(call, 'canceled').catch((error: unknown) =>
      this.report('A call nobody waits for could not be ended', error),
    );
  }

  private failDial(call: CallRecord, ending: CallEnding): void {
    call.phase = 'ended';
    call.released = true;
    this.emit({ type: 'call.dialFailed', attempt: call.attempt, ending });
  }

  /** Reports `call.dialed` the first time the CallSid is known: from the REST reply or from Twilio's first webhook. */
  private acknowledgeDial(call: CallRecord, callSid: string): void {
    if (call.dialedReported) return;
    call.callSid = callSid;
    call.dialedReported = true;
    if (call.phase === 'dialing') call.phase = 'placed';
    this.callsBySid.set(callSid, call);
    Promise.resolve(this.settings.registry.bindCall(callSid, this.verificationId)).catch((error: unknown) =>
      this.report('The call registry could not record a CallSid', error),
    );
    this.emit({ type: 'call.dialed', attempt: call.attempt, callId: callSid });
  }

  private sendDigits(command: SendDigitsCommand): void | Promise<void> {
    const call = this.callsBySid.get(command.callId);
    if (call === undefined) return;
    return this.deliver(call, ['digits-sent'], (step) =>
      toSendDigitsTwiml(command.digits, this.url(call, 'digits-sent', { step })),
    );
  }

  private playPrompt(command: PlayPromptCommand): void | Promise<void> {
    const call = this.callsBySid.get(command.callId);
    if (call === undefined) return;
    call.prompt = { seq: command.promptSeq, collect: command.collect, entry: EMPTY_ENTRY };
    const prompt = call.prompt;
    return this.deliver(call, GATHER_ROUTES, (step) =>
      this.gatherTwiml(call, prompt, step, 'key', command.segments, command.speech),
    );
  }

  private hangUp(command: HangUpCommand): void | Promise<void> {
    const call = this.callsBySid.get(command.callId);
    if (call === undefined || call.released) return;
    call.released = true;
    if (call.phase === 'ended' || call.twiml === 'finished') return;
    const document = this.document(call, 'hang-up', [], () => toHangUpTwiml(command.farewell, command.speech));
    if (call.exchange !== null) {
      this.answerExchange(call.exchange, document);
      return;
    }
    if (call.twiml === 'holding') {
      call.pending = document;
      return;
    }
    if (call.phase !== 'answered') return this.endByRest(call, 'canceled');
    // Without words to say, ending the call is quicker than replacing its TwiML.
    if (command.farewell.length === 0 || call.twiml === 'none') return this.endByRest(call, 'completed');
    return this.replaceTwiml(call, document);
  }

  /** Hands a command's TwiML to the call: as the answer of the open exchange, to the next request, or by a REST update. */
  private deliver(
    call: CallRecord,
    routes: readonly TwilioWebhookRoute[],
    build: (step: number) => string,
  ): void | Promise<void> {
    if (call.released || call.phase === 'ended' || call.twiml === 'finished') return;
    const document = this.document(call, 'run', routes, build);
    if (call.exchange !== null) {
      this.answerExchange(call.exchange, document);
      return;
    }
    if (call.twiml === 'none' || call.twiml === 'holding') {
      call.pending = document;
      return;
    }
    return this.replaceTwiml(call, document);
  }

  private document(
    call: CallRecord,
    kind: DocumentKind,
    routes: readonly TwilioWebhookRoute[],
    build: (step: number) => string,
  ): TwimlDocument {
    call.lastStep += 1;
    return { step: call.lastStep, twiml: build(call.lastStep), kind, routes };
  }

  private answerExchange(exchange: Exchange, document: TwimlDocument): void {
    exchange.reply = document;
    exchange.wake?.();
  }

  private async replaceTwiml(call: CallRecord, document: TwimlDocument): Promise<void> {
    this.serve(call, document);
    await this.update(call, { twiml: document.twiml });
  }

  private async endByRest(call: CallRecord, status: 'canceled' | 'completed'): Promise<void> {
    call.twiml = 'finished';
    // A document still waiting for Twilio to ask (e.g. the greeting before the answer webhook) must not be served any more.
    call.pending = null;
    try {
      await this.update(call, { status });
    } catch (error) {
      // A call that was answered meanwhile can no longer be canceled, only completed.
      if (status === 'completed') throw error;
      await this.update(call, { status: 'completed' });
    }
  }

  private async update(call: CallRecord, params: TwilioCallUpdateParams): Promise<void> {
    if (call.callSid === null) return;
    await this.settings.calls.update(call.callSid, params);
  }

  // ── Webhooks ────────────────────────────────────────────────────────────

  private onStatusCallback(call: CallRecord, webhook: TwilioCallWebhook): void {
    const { params } = webhook;
    const sequence = params.SequenceNumber;
    if (sequence !== undefined) {
      if (call.seenSequenceNumbers.has(sequence)) return;
      call.seenSequenceNumbers.add(sequence);
    }
    const status = toTwilioCallStatus(params.CallStatus);
    if (status === null || call.phase === 'ended') return;
    const meaning = TWILIO_CALL_STATUS_EVENTS[status];
    if (call.released) {
      if (meaning.event === 'ended') {
        call.phase = 'ended';
        // A closed session waiting for this call to fetch its farewell need not wait any more.
        call.onFinalTwiml?.();
      }
      return;
    }
    if (meaning.event === 'ringing') {
      if (call.phase === 'placed') {
        call.phase = 'ringing';
        this.emit({ type: 'call.ringing', callId: this.callId(call) });
      }
      return;
    }
    if (meaning.event === 'answered') {
      this.markAnswered(call);
      this.onAnsweredBy(call, params.AnsweredBy);
      return;
    }
    if (meaning.event !== 'ended') return;
    // `completed` means connected: the answer is reported first when its own callback was late or lost.
    if (status === 'completed') {
      this.markAnswered(call);
      this.onAnsweredBy(call, params.AnsweredBy);
      if (call.released) return;
    }
    call.phase = 'ended';
    call.pending = null;
    this.emit({ type: 'call.ended', callId: this.callId(call), ending: toCallEnding(meaning.status, params) });
    call.exchange?.wake?.();
    call.onFinalTwiml?.();
  }

  private onAnsweredBy(call: CallRecord, value: string | undefined): void {
    const answeredBy = toAnsweredBy(value);
    if (answeredBy === null || call.answeredByReported || call.released || call.phase === 'ended') return;
    this.markAnswered(call);
    if (call.released) return;
    call.answeredByReported = true;
    this.emit({ type: 'call.answeredBy', callId: this.callId(call), answeredBy });
  }

  private markAnswered(call: CallRecord): void {
    if (call.phase === 'answered' || call.phase === 'ended') return;
    call.phase = 'answered';
    this.emit({ type: 'call.answered', callId: this.callId(call) });
  }

  private onTwimlRequest(call: CallRecord, webhook: TwilioCallWebhook): Promise<string> {
    const key = `${webhook.route}:${webhook.query.step ?? '-'}`;
    // Twilio retries a request once when the connection fails: the same request gets the same answer.
    if (call.exchange?.key === key) return call.exchange.done;
    if (call.lastAnswer?.key === key) return Promise.resolve(call.lastAnswer.twiml);
    if (call.phase === 'ended') return Promise.resolve(HANG_UP_TWIML);
    if (call.pending !== null) return Promise.resolve(this.answerWith(call, key, call.pending));
    if (call.released || call.twiml === 'finished' || call.exchange !== null) {
      return Promise.resolve(call.released || call.twiml === 'finished' ? HANG_UP_TWIML : this.currentTwiml(call));
    }
    const isCurrent =
      webhook.route === 'answer'
        ? call.twiml === 'none'
        : webhook.query.step === call.step && call.current?.routes.includes(webhook.route) === true;
    if (!isCurrent) return Promise.resolve(this.currentTwiml(call));
    return this.exchange(call, key, webhook);
  }

  private currentTwiml(call: CallRecord): string {
    return call.current?.twiml ?? HANG_UP_TWIML;
  }

  private exchange(call: CallRecord, key: string, webhook: TwilioCallWebhook): Promise<string> {
    let resolveDone: (twiml: string) => void = () => {};
    const done = new Promise<string>((resolve) => {
      resolveDone = resolve;
    });
    const exchange: Exchange = { key, reply: null, wake: null, done };
    call.exchange = exchange;
    const run = async (): Promise<string> => {
      const expectsCommand = this.reportTwimlRequest(call, webhook);
      if (exchange.reply === null && !expectsCommand && !call.released && call.phase !== 'ended') {
        exchange.reply = this.continuationGather(call);
      }
      if (exchange.reply === null && !this.closed && call.phase !== 'ended') await this.waitForReply(exchange);
      call.exchange = null;
      if (exchange.reply !== null) return this.answerWith(call, key, exchange.reply);
      if (this.closed || call.released || call.phase === 'ended') return this.remember(call, key, HANG_UP_TWIML);
      return this.answerWith(call, key, this.holdDocument(call));
    };
    run().then(resolveDone, (error: unknown) => {
      call.exchange = null;
      this.report('A webhook of a call could not be answered', error);
      resolveDone(HANG_UP_TWIML);
    });
    return done;
  }

  /** Reports what a TwiML request says happened; returns whether the machine is expected to answer with a command. */
  private reportTwimlRequest(call: CallRecord, webhook: TwilioCallWebhook): boolean {
    const callId = this.callId(call);
    switch (webhook.route) {
      case 'answer':
        this.markAnswered(call);
        return true;
      case 'digits-sent':
        this.emit({ type: 'call.digitsSent', callId });
        return true;
      case 'poll':
        return true;
      case 'timeout': {
        const prompt = call.prompt;
        if (prompt === null || webhook.query.promptSeq !== prompt.seq) return true;
        // Twilio never says when the nested prompt ended; the machine takes a timeout during a prompt as its end too.
        this.emit({ type: 'call.inputTimeout', callId, promptSeq: prompt.seq });
        return true;
      }
      case 'gather': {
        const prompt = call.prompt;
        const report = readGatherReport(webhook.query.shape ?? 'key', webhook.params);
        if (prompt === null || webhook.query.promptSeq !== prompt.seq || report === null) return false;
        prompt.entry = advanceEntry(prompt.entry, report.keys, prompt.collect.fraudCode);
        this.emit({ type: 'call.digits', callId, digits: report.keys });
        if (report.timedOut) this.emit({ type: 'call.inputTimeout', callId, promptSeq: prompt.seq });
        return report.timedOut || report.keys.includes('#');
      }
      default:
        return false;
    }
  }

  /** A Gather without words that keeps collecting keys for the current prompt. */
  private continuationGather(call: CallRecord): TwimlDocument | null {
    const prompt = call.prompt;
    if (prompt === null) return null;
    const shape = chooseGatherShape(prompt.collect, prompt.entry, this.settings.keyCollection);
    return this.document(call, 'run', GATHER_ROUTES, (step) => this.gatherTwiml(call, prompt, step, shape, [], {}));
  }

  private gatherTwiml(
    call: CallRecord,
    prompt: PromptState,
    step: number,
    shape: GatherShape,
    segments: PlayPromptCommand['segments'],
    speech: PlayPromptCommand['speech'],
  ): string {
    return toGatherTwiml({
      segments,
      speech,
      shape,
      timeoutSeconds: toGatherTimeoutSeconds(prompt.collect.inputTimeoutMs),
      actionUrl: this.url(call, 'gather', { step, promptSeq: prompt.seq, shape }),
      timeoutUrl: this.url(call, 'timeout', { step, promptSeq: prompt.seq }),
    });
  }

  private holdDocument(call: CallRecord): TwimlDocument {
    return this.document(call, 'hold', ['poll'], (step) =>
      toHoldTwiml(this.url(call, 'poll', { step }), this.settings.pollPauseSeconds),
    );
  }

  private waitForReply(exchange: Exchange): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        exchange.wake = null;
        resolve();
      }, this.settings.replyWaitMs);
      exchange.wake = () => {
        clearTimeout(timer);
        exchange.wake = null;
        resolve();
      };
    });
  }

  /** Serves a document as the answer of a request and remembers it for a retry of that request. */
  private answerWith(call: CallRecord, key: string, document: TwimlDocument): string {
    if (call.pending === document) call.pending = null;
    this.serve(call, document);
    if (document.kind === 'hang-up') call.onFinalTwiml?.();
    return this.remember(call, key, document.twiml);
  }

  private serve(call: CallRecord, document: TwimlDocument): void {
    call.step = document.step;
    call.current = document;
    call.twiml = TWIML_STATE_AFTER[document.kind];
  }

  private remember(call: CallRecord, key: string, twiml: string): string {
    call.lastAnswer = { key, twiml };
    return twiml;
  }

  private url(
    call: CallRecord,
    route: 'gather' | 'timeout' | 'digits-sent' | 'poll',
    query: { step: number; promptSeq?: number; shape?: GatherShape },
  ): string {
    return toWebhookUrl(this.settings.publicBaseUrl, route, { token: call.token, ...query });
  }

  private callId(call: CallRecord): string {
    return call.callSid ?? '';
  }

  private report(message: string, error: unknown): void {
    this.settings.onError(new VoiceMfaError('PROVIDER_ERROR', message, { cause: error }));
  }
}

function createCallRecord(attempt: number, token: string): CallRecord {
  return {
    attempt,
    token,
    callSid: null,
    phase: 'dialing',
    dialedReported: false,
    released: false,
    answeredByReported: false,
    seenSequenceNumbers: new Set(),
    twiml: 'none',
    step: 0,
    lastStep: 0,
    current: null,
    pending: null,
    exchange: null,
    lastAnswer: null,
    prompt: null,
    onFinalTwiml: null,
  };
}
