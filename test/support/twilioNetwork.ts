/**
 * A simulated Twilio network on virtual time. It answers the calls API, rings
 * scripted callees, executes the TwiML the provider answers with (`<Say>`,
 * `<Play>`, `<Pause>`, `<Gather>`, `<Redirect>`, `<Hangup>`) and sends the
 * provider Twilio's webhooks, signed, each after its own network delay — so
 * status callbacks and TwiML requests arrive in no fixed order.
 *
 * Its key model is Twilio's, as documented: a key is heard only while a
 * `<Gather>` runs. A key pressed while none does — between a Gather's action
 * request and the next document — is lost, or, as a configurable assumption,
 * buffered into the next Gather. Whether a Gather cut short by a hang-up posts
 * the keys it holds is another assumption (`keysAtHangUp`).
 *
 * Its call progress is Twilio's too: a create is answered 201 even for a
 * number that does not exist, whose failure (SIP 404) comes by status
 * callback; only the synchronous refusals (`refusedWith`) are REST errors.
 * Terminal callbacks carry `SipResponseCode` and `CallDuration`, and Twilio
 * rings about 5 s longer than the `Timeout` it was given before it ends an
 * unanswered call itself (`no-answer`, SIP 487).
 */

import { DialQueue } from '../../src/providers/simulated/dialQueue.js';
import { estimateDigitsDurationMs, estimatePlayDurationMs } from '../../src/providers/simulated/speech.js';
import type {
  TwilioCallCreateParams,
  TwilioCallsApi,
  TwilioCallUpdateParams,
  TwilioWebhookRequest,
  TwilioWebhookResponse,
} from '../../src/providers/twilio/index.js';
import type { VirtualClock } from '../../src/runtime/clock.js';
import { ACCOUNT_SID, newCallSid, toSignedRequest } from './twilioFake.js';
import { elementsOf, parseXml, textOf, type XmlElement } from './xml.js';

/** One entry a callee types in answer to a prompt it hears. */
export interface CalleeEntry {
  keys: string;
  /** When the first key is pressed: after the prompt starts (barge-in) or after it ends. */
  from: 'prompt-start' | 'prompt-end';
  startAfterMs: number;
  /** Pause before each key after the first (`keys.length - 1` values). */
  gapsMs: readonly number[];
}

/** What a callee does: answers, types one entry per prompt heard, maybe hangs up. */
export interface NetworkCallee {
  /** First ring after the call is created (queue and post-dial delay). Default 2 000 ms. */
  ringAfterMs?: number;
  /** Answer after the first ring; `null` never answers. Default 3 000 ms. */
  answerAfterMs?: number | null;
  /** Entry `i` answers the `i`-th prompt (greeting, then re-prompts). */
  entries: readonly CalleeEntry[];
  /** Hang up this long after the last key of the last entry; `null` waits for Twilio to hang up. */
  hangUpAfterLastKeyMs?: number | null;
  /**
   * The `AnsweredBy` Twilio's asynchronous answering-machine detection posts
   * `answeredByAfterMs` after the answer (default 3 000 ms), when the create
   * asked for detection. Default: none is posted.
   */
  answeredBy?: string;
  answeredByAfterMs?: number;
  /** The network ends the call at its first ring instead of ringing (busy, a failure, the carrier giving up). */
  endsAs?: { status: 'busy' | 'failed' | 'no-answer'; sipCode?: number; errorCode?: string };
  /** `calls.create` is refused with this Twilio error code (HTTP 400): no call exists. */
  refusedWith?: number;
}

export interface TwilioNetworkOptions {
  clock: VirtualClock;
  callees: Readonly<Record<string, NetworkCallee>>;
  /** Round trip of one TwiML request (the request, then its answer), drawn per request. Default 0. */
  roundTripMs?: () => number;
  /** Delay of one status callback, drawn per callback. Default 0. */
  callbackDelayMs?: () => number;
  /** Keys pressed while no Gather runs. Default `lost` (Twilio documents no buffering). */
  keysBetweenGathers?: 'lost' | 'buffered';
  /**
   * Time from a Gather that falls through (no input) to the next verb of the
   * same document; keys pressed meanwhile follow `keysBetweenGathers`. Default 0
   * (Twilio documents no such gap, nor its absence).
   */
  gatherSwitchMs?: number;
  /** Keys a Gather holds when the callee hangs up. Default `dropped` (Twilio documents neither way). */
  keysAtHangUp?: 'posted' | 'dropped';
  /** REST latency. Default 100 ms. */
  apiLatencyMs?: number;
  /** The account's calls per second: calls created faster wait in Twilio's queue (`queued`). Default: no limit. */
  callsPerSecond?: number;
  /**
   * Whether a webhook (drawn per request) reaches us but its answer is lost, so
   * that Twilio sends it again, as it retries once after a connection failure;
   * a TwiML request's retry is the one whose answer runs. Default: never.
   */
  retriedWebhooks?: () => boolean;
  /**
   * When a retried webhook's second copy is sent: this long after the first,
   * whether or not our answer to it has come (Twilio retries after a connection
   * timeout, so the first may still be waiting on us). Default: once our answer
   * to the first has come.
   */
  webhookRetryAfterMs?: number;
}

/** What happened on one call, for assertions. */
export interface NetworkCallRecord {
  sid: string;
  to: string;
  /** Keys the callee pressed, in order. */
  pressed: string;
  /** Keys a Gather heard. */
  heard: string;
  /** Keys pressed while no Gather ran (with `keysBetweenGathers: 'lost'`). */
  lost: string;
  /** When the create request was accepted, when the call left Twilio's queue, and when the callee answered. */
  createdAt: number;
  startedAt: number | null;
  answeredAt: number | null;
  /** `Digits` of every Gather action posted. */
  posted: string[];
  /** `Digits` a Gather posted because the callee hung up while it held them (`keysAtHangUp: 'posted'`). */
  postedAtHangUp: string | null;
  /** The `AnsweredBy` posted to the call's `AsyncAmdStatusCallback`, if any. */
  amdPosted: string | null;
  /** `Status=canceled` sent for a call in progress (Twilio documents that it has no effect). */
  ineffectiveCancels: number;
  /** `network`: busy, failed, or Twilio's own ring timeout. */
  endedBy: 'callee' | 'twiml' | 'rest' | 'network' | null;
}

type Handler = (request: TwilioWebhookRequest) => Promise<TwilioWebhookResponse>;

interface ActiveGather {
  digits: string;
  timeoutMs: number;
  numDigits: number;
  finishOnKey: string;
  action: string;
  playing: boolean;
  timer: unknown;
}

interface NetworkCall {
  record: NetworkCallRecord;
  params: TwilioCallCreateParams;
  callee: NetworkCallee;
  phase: 'queued' | 'ringing' | 'in-progress' | 'ended';
  sequence: number;
  /** Bumped whenever the call's TwiML changes hands: an answer for an older generation is dropped. */
  generation: number;
  verbs: XmlElement[];
  verbTimer: unknown;
  gather: ActiveGather | null;
  buffered: string;
  promptsHeard: number;
  keysScheduled: number;
  timers: Set<unknown>;
  /** Takes the call out of Twilio's queue while it waits its turn. */
  leaveQueue: (() => number) | null;
}

const GATHER_DEFAULT_TIMEOUT_S = 5;
/** Twilio may ring about 5 s past the `Timeout` of the create (Call resource reference). */
const RING_PAST_TIMEOUT_MS = 5_000;
/**
 * The SIP code a terminal callback carries when the call's end gave none (TELEPHONY.md): 487 only
 * for a cancel of ours; a failure, or any other status, is a 500, the network's own failure.
 */
const SIP_CODE_OF_STATUS: Readonly<Record<string, number>> = {
  completed: 200,
  busy: 486,
  'no-answer': 480,
  canceled: 487,
};

/** What an unlisted number does: it does not exist, which Twilio learns only after the create. */
const UNLISTED_CALLEE: NetworkCallee = { entries: [], endsAs: { status: 'failed', sipCode: 404 } };

export class SimulatedTwilioNetwork {
  readonly calls: TwilioCallsApi;
  readonly records: NetworkCallRecord[] = [];
  private readonly byId = new Map<string, NetworkCall>();
  private handler: Handler | null = null;
  /** The clock the network's calls and callbacks run on. */
  readonly clock: VirtualClock;
  /** Twilio's queue of the account's calls above `callsPerSecond`; `null` without a rate. */
  private readonly dialQueue: DialQueue | null;

  constructor(private readonly options: TwilioNetworkOptions) {
    this.clock = options.clock;
    const { callsPerSecond } = options;
    this.dialQueue = callsPerSecond === undefined ? null : new DialQueue(this.clock, callsPerSecond);
    this.calls = {
      create: (params) => this.create(params),
      update: (callSid, params) => this.update(callSid, params),
    };
  }

  /** Where webhooks go: the provider's framework-free core. */
  connect(handler: Handler): void {
    this.handler = handler;
  }

  /** Webhooks sent a second time (`retriedWebhooks`). */
  retriedWebhooks = 0;
  /** Of those, the ones sent while our answer to the first was still to come (`webhookRetryAfterMs`). */
  retriedBeforeAnswer = 0;

  /** Keys lost between Gathers, on every call. */
  get lostKeys(): number {
    return this.records.reduce((n, r) => n + r.lost.length, 0);
  }

  // ── REST ──────────────────────────────────────────────────────────────────

  private later<T>(ms: number, fn: () => T): Promise<T> {
    return new Promise((resolve, reject) =>
      this.clock.setTimeout(() => {
        try {
          resolve(fn());
        } catch (error) {
          reject(error);
        }
      }, ms),
    );
  }

  private create(params: TwilioCallCreateParams): Promise<{ sid: string }> {
    return this.later(this.options.apiLatencyMs ?? 100, () => {
      const callee = this.options.callees[params.to] ?? UNLISTED_CALLEE;
      if (callee.refusedWith !== undefined) {
        throw Object.assign(new Error(`refused with ${callee.refusedWith}`), { status: 400, code: callee.refusedWith });
      }
      const record: NetworkCallRecord = {
        sid: newCallSid(),
        to: params.to,
        pressed: '',
        heard: '',
        lost: '',
        createdAt: this.clock.now(),
        startedAt: null,
        answeredAt: null,
        posted: [],
        postedAtHangUp: null,
        amdPosted: null,
        ineffectiveCancels: 0,
        endedBy: null,
      };
      const call: NetworkCall = {
        record,
        params,
        callee,
        phase: 'queued',
        sequence: 0,
        generation: 0,
        verbs: [],
        verbTimer: null,
        gather: null,
        buffered: '',
        promptsHeard: 0,
        keysScheduled: 0,
        timers: new Set(),
        leaveQueue: null,
      };
      this.records.push(record);
      this.byId.set(record.sid, call);
      const start = (): void => {
        record.startedAt = this.clock.now();
        this.statusCallback(call, 'initiated');
        this.after(call, callee.ringAfterMs ?? 2_000, () => this.ring(call));
      };
      // Above the account's calls per second, Twilio queues the call: it starts when its turn comes.
      if (this.dialQueue === null) this.after(call, 0, start);
      else
        call.leaveQueue = this.dialQueue.enter(this.clock.now(), () => {
          call.leaveQueue = null;
          start();
        });
      return { sid: record.sid };
    });
  }

  private update(callSid: string, params: TwilioCallUpdateParams): Promise<unknown> {
    return this.later(this.options.apiLatencyMs ?? 100, () => {
      const call = this.byId.get(callSid);
      if (call === undefined) throw Object.assign(new Error('not found'), { status: 404, code: 20404 });
      if (call.phase === 'ended') return {};
      if ('twiml' in params) {
        if (call.phase === 'in-progress') this.runDocument(call, params.twiml);
        return {};
      }
      if (params.status === 'completed')
        this.end(call, 'rest', call.phase === 'in-progress' ? 'completed' : 'canceled');
      else if (call.phase === 'in-progress') call.record.ineffectiveCancels++;
      else this.end(call, 'rest', 'canceled', { sipCode: 487 });
      return {};
    });
  }

  // ── Call progress ─────────────────────────────────────────────────────────

  private after(call: NetworkCall, ms: number, fn: () => void): unknown {
    const handle = this.clock.setTimeout(() => {
      call.timers.delete(handle);
      if (call.phase !== 'ended') fn();
    }, ms);
    call.timers.add(handle);
    return handle;
  }

  private cancel(call: NetworkCall, handle: unknown): void {
    if (handle === null) return;
    this.clock.clearTimeout(handle);
    call.timers.delete(handle);
  }

  private ring(call: NetworkCall): void {
    const { endsAs } = call.callee;
    if (endsAs !== undefined) {
      this.end(call, 'network', endsAs.status, endsAs);
      return;
    }
    call.phase = 'ringing';
    this.statusCallback(call, 'ringing');
    const answerAfterMs = call.callee.answerAfterMs === undefined ? 3_000 : call.callee.answerAfterMs;
    const ringMs = call.params.timeout * 1_000 + RING_PAST_TIMEOUT_MS;
    if (answerAfterMs !== null && answerAfterMs < ringMs) this.after(call, answerAfterMs, () => this.answer(call));
    else this.after(call, ringMs, () => this.end(call, 'network', 'no-answer', { sipCode: 487 }));
  }

  private answer(call: NetworkCall): void {
    call.record.answeredAt = this.clock.now();
    call.phase = 'in-progress';
    this.statusCallback(call, 'in-progress');
    this.request(call, call.params.url, {});
    const { answeredBy, answeredByAfterMs = 3_000 } = call.callee;
    const amdUrl = call.params.asyncAmdStatusCallback;
    if (answeredBy !== undefined && call.params.machineDetection !== undefined && amdUrl !== undefined) {
      // Asynchronous detection: the TwiML runs meanwhile, and its callback is not ordered with the others.
      this.after(call, answeredByAfterMs, () => {
        call.record.amdPosted = answeredBy;
        this.postCallback(call, amdUrl, {
          AnsweredBy: answeredBy,
          MachineDetectionDuration: String(answeredByAfterMs),
        });
      });
    }
  }

  private end(
    call: NetworkCall,
    by: NonNullable<NetworkCallRecord['endedBy']>,
    status: string,
    codes: { sipCode?: number; errorCode?: string } = {},
  ): void {
    const gather = call.gather;
    if (by === 'callee' && gather !== null && gather.digits !== '' && this.options.keysAtHangUp === 'posted') {
      call.record.posted.push(gather.digits);
      call.record.postedAtHangUp = gather.digits;
      this.send(call, gather.action, { Digits: gather.digits }, null);
    }
    call.phase = 'ended';
    // A call canceled while queued never dials: it leaves the queue without taking a turn.
    call.leaveQueue?.();
    call.leaveQueue = null;
    call.gather = null;
    call.generation++;
    call.record.endedBy = by;
    for (const handle of call.timers) this.clock.clearTimeout(handle);
    call.timers.clear();
    const { answeredAt } = call.record;
    const terminal: Record<string, string> = {
      CallDuration: String(answeredAt === null ? 0 : Math.round((this.clock.now() - answeredAt) / 1_000)),
    };
    // An end named by its error code alone carries no SIP code.
    if (codes.sipCode !== undefined || codes.errorCode === undefined) {
      terminal.SipResponseCode = String(codes.sipCode ?? SIP_CODE_OF_STATUS[status] ?? 500);
    }
    if (codes.errorCode !== undefined) terminal.ErrorCode = codes.errorCode;
    this.statusCallback(call, status, terminal);
  }

  private statusCallback(call: NetworkCall, status: string, terminal: Record<string, string> = {}): void {
    const params = {
      ...terminal,
      CallStatus: status,
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(call.sequence++),
      Timestamp: new Date(this.clock.now()).toUTCString(),
    };
    this.postCallback(call, call.params.statusCallback, params);
  }

  /** A callback, after the network's callback delay: not ordered with the call's other requests. */
  private postCallback(call: NetworkCall, url: string, params: Record<string, string>): void {
    const delay = this.options.callbackDelayMs?.() ?? 0;
    this.clock.setTimeout(() => void this.deliverWithRetry(call, url, params), delay);
  }

  // ── TwiML ─────────────────────────────────────────────────────────────────

  /** A TwiML request: its answer, after the round trip, becomes the call's document. */
  private request(call: NetworkCall, url: string, extra: Record<string, string>): void {
    call.generation++;
    this.send(call, url, extra, call.generation);
  }

  private send(call: NetworkCall, url: string, extra: Record<string, string>, generation: number | null): void {
    const roundTrip = this.options.roundTripMs?.() ?? 0;
    this.clock.setTimeout(
      async () => {
        const response = await this.deliverWithRetry(call, url, {
          CallStatus: call.phase === 'ended' ? 'completed' : 'in-progress',
          ...extra,
        });
        this.clock.setTimeout(
          () => {
            if (generation === null || call.generation !== generation || call.phase !== 'in-progress') return;
            this.runDocument(call, response.body);
          },
          roundTrip - Math.floor(roundTrip / 2),
        );
      },
      Math.floor(roundTrip / 2),
    );
  }

  /** Delivers a webhook, and again when its answer is to be lost (`retriedWebhooks`): the last answer counts. */
  private async deliverWithRetry(
    call: NetworkCall,
    url: string,
    extra: Record<string, string>,
  ): Promise<TwilioWebhookResponse> {
    if (this.options.retriedWebhooks?.() !== true) return this.deliver(call, url, extra);
    this.retriedWebhooks++;
    const first = this.deliver(call, url, extra);
    const { webhookRetryAfterMs } = this.options;
    if (webhookRetryAfterMs === undefined) await first;
    else {
      let answered = false;
      // The first's answer is lost either way; only whether it had come by the retry is counted.
      first.then(
        () => (answered = true),
        () => (answered = true),
      );
      await new Promise((resolve) => this.clock.setTimeout(resolve, webhookRetryAfterMs));
      if (!answered) this.retriedBeforeAnswer++;
    }
    return this.deliver(call, url, extra);
  }

  private async deliver(call: NetworkCall, url: string, extra: Record<string, string>): Promise<TwilioWebhookResponse> {
    if (this.handler === null) throw new Error('the network is not connected to a provider');
    const params = {
      AccountSid: ACCOUNT_SID,
      ApiVersion: '2010-04-01',
      CallSid: call.record.sid,
      Direction: 'outbound-api',
      From: call.params.from,
      To: call.params.to,
      ...extra,
    };
    return this.handler(toSignedRequest(url, params));
  }

  private runDocument(call: NetworkCall, twiml: string): void {
    call.generation++;
    this.stopVerb(call);
    const root = parseXml(twiml);
    call.verbs = elementsOf(root);
    this.next(call);
  }

  private stopVerb(call: NetworkCall): void {
    this.cancel(call, call.verbTimer);
    call.verbTimer = null;
    if (call.gather !== null) this.cancel(call, call.gather.timer);
    call.gather = null;
  }

  private wait(call: NetworkCall, ms: number): void {
    const generation = call.generation;
    call.verbTimer = this.after(call, ms, () => {
      if (call.generation === generation) this.next(call);
    });
  }

  private next(call: NetworkCall): void {
    const verb = call.verbs.shift();
    call.verbTimer = null;
    if (verb === undefined) {
      // A document that runs out of verbs ends the call.
      this.end(call, 'twiml', 'completed');
      return;
    }
    switch (verb.name) {
      case 'Say':
        this.wait(call, estimatePlayDurationMs([{ say: textOf(verb) }]));
        return;
      case 'Play':
        this.wait(call, playDurationMs(verb));
        return;
      case 'Pause':
        this.wait(call, Number(verb.attributes.length ?? '1') * 1_000);
        return;
      case 'Redirect':
        this.request(call, textOf(verb), {});
        return;
      case 'Hangup':
        this.end(call, 'twiml', 'completed');
        return;
      case 'Gather':
        this.startGather(call, verb);
        return;
      default:
        throw new Error(`the simulated network does not run <${verb.name}>`);
    }
  }

  private startGather(call: NetworkCall, verb: XmlElement): void {
    const nested = elementsOf(verb);
    const playMs = nested.reduce(
      (sum, v) => sum + (v.name === 'Say' ? estimatePlayDurationMs([{ say: textOf(v) }]) : playDurationMs(v)),
      0,
    );
    const gather: ActiveGather = {
      digits: '',
      timeoutMs: Number(verb.attributes.timeout ?? GATHER_DEFAULT_TIMEOUT_S) * 1_000,
      numDigits: verb.attributes.numDigits === undefined ? Number.POSITIVE_INFINITY : Number(verb.attributes.numDigits),
      finishOnKey: verb.attributes.finishOnKey ?? '#',
      action: verb.attributes.action ?? '',
      playing: nested.length > 0,
      timer: null,
    };
    call.gather = gather;
    if (nested.length > 0) this.promptStarted(call, playMs);
    // The timeout starts once the nested prompt has played.
    gather.timer = this.after(call, playMs, () => {
      gather.playing = false;
      this.armGatherTimeout(call, gather);
    });
    // Buffered keys go to this Gather while it runs; those after its end wait for the next one.
    while (call.buffered !== '' && call.gather === gather) {
      const key = call.buffered.charAt(0);
      call.buffered = call.buffered.slice(1);
      this.hear(call, gather, key);
    }
  }

  private armGatherTimeout(call: NetworkCall, gather: ActiveGather): void {
    this.cancel(call, gather.timer);
    gather.timer = this.after(call, gather.timeoutMs, () => {
      if (call.gather !== gather) return;
      if (gather.digits === '') {
        // No input: fall through to the next verb, in the same document.
        call.gather = null;
        const switchMs = this.options.gatherSwitchMs ?? 0;
        if (switchMs > 0) this.wait(call, switchMs);
        else this.next(call);
      } else {
        this.finishGather(call, gather, gather.digits);
      }
    });
  }

  private finishGather(call: NetworkCall, gather: ActiveGather, digits: string): void {
    this.cancel(call, gather.timer);
    call.gather = null;
    if (digits === '') {
      this.next(call);
      return;
    }
    call.record.posted.push(digits);
    this.request(call, gather.action, { Digits: digits });
  }

  private hear(call: NetworkCall, gather: ActiveGather, key: string): void {
    call.record.heard += key;
    // A key stops the nested prompt (barge-in); the timeout then counts from the last key.
    gather.playing = false;
    if (gather.finishOnKey !== '' && key === gather.finishOnKey) {
      this.finishGather(call, gather, gather.digits);
      return;
    }
    gather.digits += key;
    if (gather.digits.length >= gather.numDigits) this.finishGather(call, gather, gather.digits);
    else this.armGatherTimeout(call, gather);
  }

  // ── The callee ────────────────────────────────────────────────────────────

  private promptStarted(call: NetworkCall, promptMs: number): void {
    const entry = call.callee.entries[call.promptsHeard];
    const isLast = call.promptsHeard === call.callee.entries.length - 1;
    call.promptsHeard++;
    if (entry === undefined) return;
    let at = entry.startAfterMs + (entry.from === 'prompt-end' ? promptMs : 0);
    [...entry.keys].forEach((key, i) => {
      if (i > 0) at += entry.gapsMs[i - 1] ?? 0;
      this.after(call, at, () => this.press(call, key));
    });
    const hangUp = call.callee.hangUpAfterLastKeyMs;
    if (isLast && hangUp !== undefined && hangUp !== null) {
      this.after(call, at + hangUp, () => this.end(call, 'callee', 'completed'));
    }
  }

  private press(call: NetworkCall, key: string): void {
    call.record.pressed += key;
    const gather = call.gather;
    if (gather !== null) this.hear(call, gather, key);
    else if (this.options.keysBetweenGathers === 'buffered') call.buffered += key;
    else call.record.lost += key;
  }
}

/** `<Play digits>`: `w` waits half a second (a comma of ours is `ww`); other `<Play>`s are recordings. */
function playDurationMs(verb: XmlElement): number {
  const digits = verb.attributes.digits;
  if (digits === undefined) return estimatePlayDurationMs([{ play: textOf(verb) }]);
  return estimateDigitsDurationMs(digits.replaceAll('ww', ','));
}
