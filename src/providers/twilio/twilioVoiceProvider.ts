/**
 * The Twilio voice provider: calls through Twilio's REST API, prompts and key
 * collection in TwiML, progress from signed webhooks.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import twilio from 'twilio';
import { AudioAnalyser } from '../../audio/audioAnalyser.js';
import { VoiceMfaError } from '../../errors.js';
import type { JsonValue } from '../../json.js';
import { E164_NUMBER } from '../../machine/checks.js';
import type { ProviderCommand } from '../../machine/commands.js';
import { optionNames } from '../../optionNames.js';
import { type RuntimeClock, systemClock } from '../../runtime/clock.js';
import type {
  DurableContext,
  DurableVoiceProvider,
  Plan,
  ProviderCapabilities,
  ProviderEffect,
  ProviderReport,
  ProviderSession,
  Reception,
  SessionContext,
  VoiceProvider,
} from '../types.js';
import {
  initialTwilioState,
  planTwilio,
  receiveTwilio,
  TWILIO_TOKEN_BINDING,
  type TwilioControlSettings,
  type TwilioEffect,
  type TwilioInbound,
  type TwilioState,
  toJson,
  toProviderEffect,
  twilioIdempotencyKey,
} from './callControl.js';
import { InMemoryTwilioCallRegistry, type TwilioCallRegistry } from './callRegistry.js';
import {
  createTwilioWebhookListener,
  type TwilioWebhookListener,
  type TwilioWebhookListenerOptions,
} from './createTwilioWebhookListener.js';
import { withPlacementDeadlines } from './dialDeadline.js';
import { DialPacer } from './dialPacer.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  handleWebhookOfProvider,
  MAX_BODY_BYTES_RANGE,
  screenTwilioWebhook,
  type TwilioWebhookOptions,
  type TwilioWebhookRequest,
  type TwilioWebhookResponse,
  type TwilioWebhookService,
} from './handleTwilioWebhook.js';
import { type KeyCollectionStyle, MAX_ENTRY_PAUSE_SECONDS } from './keyCollection.js';
import { LostCalls } from './lostCalls.js';
import {
  DEFAULT_MAX_STREAM_MESSAGE_BYTES,
  DEFAULT_STREAM_START_TIMEOUT_MS,
  listenForMediaStreams,
  type MediaStreamEndpointSettings,
  signMediaStream,
  type TwilioMediaStreamEndpoint,
  type TwilioMediaStreamOptions,
  toMediaStreamUrl,
} from './mediaStreams.js';
import { checkOptionNames, checkWholeNumber, configurationError } from './optionChecks.js';
import { readSharedKeySecrets } from './signature.js';
import { type TwilioCallsApi, toTwilioCallsApi } from './twilioCallsApi.js';
import { isTooManyRequests, runTwilioEffect } from './twilioEffects.js';
import { TwilioSession } from './twilioSession.js';
import { isVoiceMap, TWILIO_NEURAL_VOICES } from './voices.js';
import { readPublicBaseUrl } from './webhookRoutes.js';

/**
 * What the Twilio provider can do: Twilio enforces the input timeout
 * (`<Gather timeout>`) and offers answering-machine detection; it does not say
 * when a prompt nested in a Gather finished, nor tell SIT kinds apart.
 *
 * @example
 * ```ts
 * TWILIO_CAPABILITIES.enforcesInputTimeout; // true: <Gather timeout> reports call.inputTimeout
 * ```
 */
export const TWILIO_CAPABILITIES: Readonly<ProviderCapabilities> = {
  reportsPromptEnd: false,
  enforcesInputTimeout: true,
  machineDetection: true,
  reportsSitKinds: false,
};

/**
 * Options of a {@link TwilioVoiceProvider}.
 *
 * @example
 * ```ts
 * const options: TwilioVoiceProviderOptions = {
 *   accountSid: 'AC…',
 *   authToken: '…',
 *   publicBaseUrl: 'https://verify.example.com/twilio',
 *   defaultCallerId: '+14255550000',
 * };
 * ```
 */
export interface TwilioVoiceProviderOptions {
  /** Account SID (`AC…`); the test account's for the sandbox. */
  accountSid: string;
  /** Auth token: authenticates REST calls and signs webhooks. */
  authToken: string;
  /**
   * Public URL under which Twilio reaches the webhooks, e.g.
   * `https://verify.example.com/twilio`. Signatures are checked against it, so
   * it must be what Twilio sees, not what a proxy forwards to. With credentials
   * (`https://user:password@verify.example.com/twilio`) Twilio authenticates
   * with HTTP basic auth, and requests without them are answered 401.
   */
  publicBaseUrl: string;
  /**
   * Secret of the SharedKey a Twilio Webhook Rule signs these webhooks with
   * (`X-Twilio-Webhooks-Signature-Settings`, HMAC-SHA1 or HMAC-SHA256); several
   * during a rotation. Webhooks without that header are checked with the auth token.
   */
  sharedKeySecret?: string | readonly string[];
  /** Caller ID (E.164, a Twilio number or verified caller ID) when the request gives none. */
  defaultCallerId?: string;
  /** twilio-node HTTP client, e.g. one that points at a local mock. */
  httpClient?: twilio.RequestClient;
  /** Calls API to use instead of a twilio-node client built from the credentials. */
  calls?: TwilioCallsApi;
  /** Where sessions are found between webhooks. Default: a new in-memory registry. */
  registry?: TwilioCallRegistry;
  /**
   * How keys are collected; see docs/twilio.md, "Collecting keys". Default
   * `whole-entry`: no key pressed while typing falls between two Gathers.
   */
  keyCollection?: KeyCollectionStyle;
  /**
   * For `whole-entry`: seconds of silence after the last key before the keys
   * are sent (1–5). Default 1 in standard mode, 2 in PIN mode.
   */
  entryPauseSeconds?: number;
  /**
   * `<Say>` voice by BCP 47 language for requests whose `speech` names no voice.
   * Default {@link TWILIO_NEURAL_VOICES} (neural voices, instead of Twilio's
   * legacy default); `{}` lets Twilio choose.
   */
  defaultVoices?: Readonly<Record<string, string>>;
  /** How long a webhook waits for the machine's next command before asking Twilio to come back. Default 2000 ms. */
  replyWaitMs?: number;
  /** Pause before Twilio comes back, in seconds. Default 1. */
  pollPauseSeconds?: number;
  /** Largest webhook body accepted. Default 64 KiB. */
  maxBodyBytes?: number;
  /**
   * Calls this provider creates per second at most, 0.01 to 100, fractions
   * allowed. Default 1, Twilio's default for an account. Several processes on
   * one account share its rate: give each its share (the rate / processes).
   */
  callsPerSecond?: number;
  /**
   * Most dials that may wait for their turn; one more is refused at once
   * (`providerCode: 'DIAL_QUEUE_FULL'`) and the verification rolls over. 0 to
   * 10 000, default 100.
   */
  maxQueuedDials?: number;
  /**
   * Listen to every answered call through Twilio Media Streams: the first
   * TwiML of the call starts `<Start><Stream track="inbound_track">`, and the
   * endpoint {@link TwilioVoiceProvider.listenForMediaStreams} mounts turns
   * special information tones, busy and reorder tones (and a machine, when a
   * verification asks for detection) into the machine's events. Off unless
   * given. See docs/audio-analysis.md, "Twilio Media Streams".
   */
  mediaStreams?: TwilioMediaStreamOptions;
  /**
   * Clock of the provider's timers: the dial pacing, and how long the calls a
   * closed session may have placed unknowingly are remembered. Default: the
   * system clock; give the runtime's clock when it is another.
   */
  clock?: RuntimeClock;
  /** Receives failures that happen outside any command or request (e.g. a REST hang-up that failed at the end). */
  onError?: (error: VoiceMfaError) => void;
}

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;

const OWNER = 'TwilioVoiceProvider';

function refuse(message: string): never {
  throw configurationError(OWNER, message);
}

/** The options a provider knows. */
const PROVIDER_OPTIONS = optionNames<TwilioVoiceProviderOptions>({
  accountSid: true,
  authToken: true,
  publicBaseUrl: true,
  sharedKeySecret: true,
  defaultCallerId: true,
  httpClient: true,
  calls: true,
  registry: true,
  keyCollection: true,
  entryPauseSeconds: true,
  defaultVoices: true,
  replyWaitMs: true,
  pollPauseSeconds: true,
  maxBodyBytes: true,
  callsPerSecond: true,
  maxQueuedDials: true,
  mediaStreams: true,
  clock: true,
  onError: true,
});

/** The options of its Media Streams. */
const MEDIA_STREAM_OPTIONS = optionNames<TwilioMediaStreamOptions>({
  url: true,
  analysis: true,
  maxMessageBytes: true,
  startTimeoutMs: true,
});

function checkRange(name: string, value: number | undefined, min: number, max: number, fallback: number): number {
  return checkWholeNumber(OWNER, name, value, min, max, fallback);
}

/** Default of {@link TwilioVoiceProviderOptions.maxQueuedDials}. */
const DEFAULT_MAX_QUEUED_DIALS = 100;
const CALLS_PER_SECOND = { min: 0.01, max: 100, fallback: 1 };

/** The pacer of a provider's creates, from its options. */
function toDialPacer(options: TwilioVoiceProviderOptions): DialPacer {
  const { callsPerSecond = CALLS_PER_SECOND.fallback, clock = systemClock } = options;
  if (
    typeof callsPerSecond !== 'number' ||
    !(callsPerSecond >= CALLS_PER_SECOND.min && callsPerSecond <= CALLS_PER_SECOND.max)
  ) {
    refuse(`callsPerSecond must be a number from ${CALLS_PER_SECOND.min} to ${CALLS_PER_SECOND.max}`);
  }
  const clockParts = [clock?.now, clock?.setTimeout, clock?.clearTimeout];
  if (clockParts.some((part) => typeof part !== 'function')) {
    refuse('clock must have now(), setTimeout() and clearTimeout()');
  }
  return new DialPacer({
    callsPerSecond,
    maxQueuedDials: checkRange('maxQueuedDials', options.maxQueuedDials, 0, 10_000, DEFAULT_MAX_QUEUED_DIALS),
    clock,
    isRateLimited: isTooManyRequests,
  });
}

/**
 * A voice provider that places calls with Twilio.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { runVerification } from 'voice-mfa';
 * import { TwilioVoiceProvider } from 'voice-mfa/twilio';
 *
 * const provider = new TwilioVoiceProvider({
 *   accountSid: process.env.TWILIO_ACCOUNT_SID!,
 *   authToken: process.env.TWILIO_AUTH_TOKEN!,
 *   publicBaseUrl: 'https://verify.example.com/twilio',
 *   defaultCallerId: '+14255550000',
 * });
 * createServer(provider.createWebhookListener()).listen(8080);
 * const result = await runVerification({ targets: ['+14255550100'] }, { provider });
 * ```
 */
export class TwilioVoiceProvider implements VoiceProvider, DurableVoiceProvider<JsonValue, unknown> {
  readonly name = 'twilio';
  readonly capabilities: ProviderCapabilities = TWILIO_CAPABILITIES;
  /** Where this provider's sessions are found between webhooks. */
  readonly registry: TwilioCallRegistry;
  private readonly calls: TwilioCallsApi;
  /** Paces every create of this provider, in-process sessions and durable effects alike. */
  private readonly pacer: DialPacer;
  private readonly clock: RuntimeClock;
  private readonly control: TwilioControlSettings;
  private service: TwilioWebhookService | null = null;
  /** Calls closed sessions may have placed unknowingly, by dial token: their webhooks still end them. */
  private readonly lostCalls: LostCalls;
  /** What the webhook handler needs, made once (and again after `connect`): every request reads it. */
  private answering: TwilioWebhookOptions | null = null;
  private readonly authToken: string;
  private readonly publicBaseUrl: string;
  private readonly sharedKeySecrets: readonly string[];
  private readonly options: TwilioVoiceProviderOptions;
  /** The Media Streams endpoint's settings, or `null` when streams are off. */
  private readonly mediaStreams: MediaStreamEndpointSettings | null;
  private readonly settings: {
    entryPauseSeconds: number | null;
    replyWaitMs: number;
    pollPauseSeconds: number;
    maxBodyBytes: number;
  };

  constructor(options: TwilioVoiceProviderOptions) {
    checkOptionNames(OWNER, options, PROVIDER_OPTIONS);
    if (!ACCOUNT_SID.test(options.accountSid)) refuse('accountSid must be "AC" followed by 32 hex digits');
    if (typeof options.authToken !== 'string' || options.authToken === '') refuse('authToken is required');
    const base = readPublicBaseUrl(options.publicBaseUrl);
    if (!base.ok) refuse(base.problem);
    const publicBaseUrl = base.url.href;
    const sharedKeySecrets = readSharedKeySecrets(options.sharedKeySecret);
    if (sharedKeySecrets === null) refuse('sharedKeySecret must be a non-empty string or a list of them');
    if (options.defaultCallerId !== undefined && !E164_NUMBER.test(options.defaultCallerId)) {
      refuse('defaultCallerId must be an E.164 number');
    }
    if (
      options.keyCollection !== undefined &&
      options.keyCollection !== 'whole-entry' &&
      options.keyCollection !== 'key-by-key'
    ) {
      refuse('keyCollection must be "whole-entry" or "key-by-key"');
    }
    // Every prompt reads the map: a broken one is refused here, not by failing every call.
    const defaultVoices = options.defaultVoices ?? TWILIO_NEURAL_VOICES;
    if (!isVoiceMap(defaultVoices)) refuse('defaultVoices must map languages to voice names (non-empty strings)');
    this.pacer = toDialPacer(options);
    this.clock = options.clock ?? systemClock;
    this.options = options;
    this.authToken = options.authToken;
    this.publicBaseUrl = publicBaseUrl;
    this.sharedKeySecrets = sharedKeySecrets;
    this.settings = {
      entryPauseSeconds:
        options.entryPauseSeconds === undefined
          ? null
          : checkRange('entryPauseSeconds', options.entryPauseSeconds, 1, MAX_ENTRY_PAUSE_SECONDS, 1),
      replyWaitMs: checkRange('replyWaitMs', options.replyWaitMs, 0, 10_000, 2_000),
      pollPauseSeconds: checkRange('pollPauseSeconds', options.pollPauseSeconds, 1, 5, 1),
      maxBodyBytes: checkRange(
        'maxBodyBytes',
        options.maxBodyBytes,
        MAX_BODY_BYTES_RANGE.min,
        MAX_BODY_BYTES_RANGE.max,
        DEFAULT_MAX_BODY_BYTES,
      ),
    };
    this.registry = options.registry ?? new InMemoryTwilioCallRegistry();
    this.mediaStreams = this.toMediaStreamSettings(options, base.url.signedHref, sharedKeySecrets);
    const streams = this.mediaStreams;
    this.control = {
      publicBaseUrl,
      defaultCallerId: options.defaultCallerId ?? null,
      keyCollection: {
        style: options.keyCollection ?? 'whole-entry',
        entryPauseSeconds: this.settings.entryPauseSeconds,
      },
      pollPauseSeconds: this.settings.pollPauseSeconds,
      defaultVoices,
      createToken: () => randomBytes(16).toString('hex'),
      mediaStream:
        streams === null
          ? null
          : { url: streams.url, sign: (token, callSid) => signMediaStream(options.authToken, token, callSid) },
    };
    this.calls =
      options.calls ??
      toTwilioCallsApi(
        twilio(
          options.accountSid,
          options.authToken,
          options.httpClient === undefined ? {} : { httpClient: options.httpClient },
        ),
      );
    this.lostCalls = new LostCalls({
      calls: this.calls,
      control: this.control,
      clock: this.clock,
      onError: (error) => this.options.onError?.(error),
    });
  }

  /** Checks the Media Streams options (the analyser's included); `null` when they are not given. */
  private toMediaStreamSettings(
    options: TwilioVoiceProviderOptions,
    signedPublicBaseUrl: string,
    sharedKeySecrets: readonly string[],
  ): MediaStreamEndpointSettings | null {
    const given = options.mediaStreams;
    if (given === undefined) return null;
    checkOptionNames(OWNER, given, MEDIA_STREAM_OPTIONS, 'mediaStreams');
    const analysis = given.analysis ?? {};
    // Throws InvalidAudioConfigurationError, listing what cannot work, before any call is placed.
    new AudioAnalyser(analysis);
    return {
      url: toMediaStreamUrl(given.url, signedPublicBaseUrl),
      authToken: options.authToken,
      sharedKeySecrets,
      analysis,
      maxMessageBytes: checkRange(
        'mediaStreams.maxMessageBytes',
        given.maxMessageBytes,
        256,
        65_536,
        DEFAULT_MAX_STREAM_MESSAGE_BYTES,
      ),
      startTimeoutMs: checkRange(
        'mediaStreams.startTimeoutMs',
        given.startTimeoutMs,
        1_000,
        60_000,
        DEFAULT_STREAM_START_TIMEOUT_MS,
      ),
      registry: this.registry,
      service: () => this.service,
      onError: (error) => options.onError?.(error),
    };
  }

  /**
   * Accepts Twilio's Media Streams on `server` (the one serving the webhooks,
   * or another reachable at the stream URL): WebSocket upgrades whose path
   * ends with the stream URL's last segment (`/media-stream` by default). Needs
   * the `mediaStreams` option and the `ws` package (an optional peer
   * dependency). The upgrade must carry Twilio's `X-Twilio-Signature` of the
   * stream URL (400 or 403 otherwise), and the stream the proof of a call this
   * provider placed; what it hears reaches that call's verification here or,
   * for the durable service, as a step on the store.
   *
   * @throws `VoiceMfaError` (`INVALID_CONFIGURATION`) when `mediaStreams` was not given.
   *
   * @example
   * ```ts
   * const provider = new TwilioVoiceProvider({ ...credentials, publicBaseUrl: 'https://verify.example.com/twilio', mediaStreams: {} });
   * const server = createTwilioWebhookServer(provider).listen(8080);
   * const streams = await provider.listenForMediaStreams(server);
   * // at shutdown
   * await streams.close();
   * ```
   */
  listenForMediaStreams(server: Server): Promise<TwilioMediaStreamEndpoint> {
    if (this.mediaStreams === null) {
      return Promise.reject(configurationError(OWNER, 'Media Streams are off: give the mediaStreams option'));
    }
    return listenForMediaStreams(server, this.mediaStreams);
  }

  openSession(context: SessionContext): ProviderSession {
    const onError = (error: VoiceMfaError): void => this.options.onError?.(error);
    const session = new TwilioSession(context.verificationId, (event) => context.emit(event), {
      calls: this.calls,
      registry: this.registry,
      control: this.control,
      pacer: this.pacer,
      clock: this.clock,
      report: (report) => context.report?.(report),
      replyWaitMs: this.settings.replyWaitMs,
      onError,
      keepAfterClose: (calls) => this.lostCalls.keep(calls),
    });
    Promise.resolve(this.registry.register(context.verificationId, session)).catch((error: unknown) =>
      onError(
        new VoiceMfaError('PROVIDER_ERROR', 'The call registry could not record a verification', { cause: error }),
      ),
    );
    return session;
  }

  // ── As a durable provider (createVerificationService) ──────────────────────

  /**
   * Hands webhooks of calls no session of this process knows to the durable
   * service, which finds their verification in its store: any instance can
   * answer any webhook.
   *
   * @example
   * ```ts
   * const service = createVerificationService({ store, provider });
   * provider.connect(service);
   * createServer(provider.createWebhookListener()).listen(8080);
   * ```
   */
  connect(service: TwilioWebhookService): void {
    this.service = service;
    this.answering = null;
  }

  /** The state of a verification before its first call. */
  initialState(): JsonValue {
    return toJson(initialTwilioState());
  }

  /** A retried webhook shares the key of the first: it gets the answer stored for it. */
  idempotencyKeyOf(inbound: unknown): string | null {
    return twilioIdempotencyKey(inbound as TwilioInbound);
  }

  /** Reads a webhook (or what a REST request learnt) against the saved state of the verification's calls. */
  receive(state: JsonValue, inbound: unknown): Reception<JsonValue> {
    const reception = receiveTwilio(state as unknown as TwilioState, inbound as TwilioInbound);
    return { ...reception, state: toJson(reception.state) };
  }

  /**
   * The machine's commands as TwiML (the answer to the webhook being handled)
   * and REST effects; a create carries the latest time it may be placed,
   * reckoned from the step's clock reading.
   */
  plan(
    state: JsonValue,
    commands: readonly ProviderCommand[],
    inbound: unknown,
    context?: DurableContext,
  ): Plan<JsonValue> {
    const plan = planTwilio(state as unknown as TwilioState, commands, inbound as TwilioInbound | null, this.control);
    const effects = context === undefined ? plan.effects : withPlacementDeadlines(plan.effects, commands, context.now);
    return {
      state: toJson(plan.state),
      effects: effects.map((effect) => toProviderEffect(effect)),
      answer: plan.answer,
      bindings: plan.tokens.map((key) => ({ kind: TWILIO_TOKEN_BINDING, key })),
    };
  }

  /**
   * Runs a REST request; what it learnt (a CallSid, a refusal) comes back as a
   * message for the verification. A create waits for its turn in the pacer.
   */
  async run(
    effect: ProviderEffect,
    context?: { verificationId: string; report?(report: ProviderReport): void },
  ): Promise<unknown[]> {
    const report = context?.report;
    return runTwilioEffect(effect.payload as unknown as TwilioEffect, this.calls, {
      pacer: this.pacer,
      ...(report === undefined ? {} : { report: (r: ProviderReport) => report(r) }),
    });
  }

  /**
   * Answers one webhook request (see `handleTwilioWebhook`).
   *
   * @example
   * ```ts
   * const response = await provider.handleWebhook({ url: req.url, method: req.method, headers: req.headers, body });
   * ```
   */
  handleWebhook(request: TwilioWebhookRequest): Promise<TwilioWebhookResponse> {
    return handleWebhookOfProvider(request, this.webhookOptions(), this.lostCalls.find);
  }

  /**
   * Answers a request from its head alone when it is refused whatever its body:
   * 401 without the credentials of `publicBaseUrl`, 405, 404; `null` otherwise.
   * The listener calls it before reading the body.
   *
   * @example
   * ```ts
   * const refused = provider.screenWebhook({ url: req.url, method: req.method, headers: req.headers });
   * ```
   */
  screenWebhook(head: Omit<TwilioWebhookRequest, 'body'>): TwilioWebhookResponse | null {
    return screenTwilioWebhook(head, this.webhookOptions());
  }

  /**
   * A Node request listener (and Express middleware) for the webhooks. Its
   * largest body is `maxBodyBytes` unless `options` say otherwise.
   *
   * @example
   * ```ts
   * createServer(provider.createWebhookListener({ bodyReadTimeoutMs: 5_000 })).listen(8080);
   * ```
   */
  createWebhookListener(options: TwilioWebhookListenerOptions = {}): TwilioWebhookListener {
    // A limit left undefined (as a server passes on what it was given) is the provider's, not the listener's default.
    return createTwilioWebhookListener(this, {
      ...options,
      maxBodyBytes: options?.maxBodyBytes ?? this.settings.maxBodyBytes,
    });
  }

  private webhookOptions(): TwilioWebhookOptions {
    this.answering ??= {
      authToken: this.authToken,
      publicBaseUrl: this.publicBaseUrl,
      sharedKeySecret: this.sharedKeySecrets,
      registry: this.registry,
      ...(this.service === null ? {} : { service: this.service }),
      maxBodyBytes: this.settings.maxBodyBytes,
      onError: (error) => this.options.onError?.(error),
    };
    return this.answering;
  }
}
