/**
 * Twilio Media Streams: the WebSocket endpoint an answered call forks its
 * inbound audio to (`<Start><Stream>`). Each stream must prove it belongs to a
 * call this provider placed, its audio goes through the analyser, and what it
 * hears reaches the machine as a message of that call: through the session of
 * this process, or as a step of the durable service on any instance.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { AudioAnalyser } from '../../audio/audioAnalyser.js';
import type { AudioAnalyserOptions } from '../../audio/options.js';
import { VoiceMfaError } from '../../errors.js';
import { readDetection } from '../heardOnCall.js';
import { STREAM_PARAMETERS, TWILIO_TOKEN_BINDING, type TwilioInbound } from './callControl.js';
import type { TwilioCallRegistry } from './callRegistry.js';
import type { TwilioWebhookService } from './handleTwilioWebhook.js';
import { type MediaStreamMessage, readMediaStreamMessage } from './mediaStreamMessages.js';
import { readSignatureHeaders, refuseUnsigned } from './signature.js';
import { TwilioSession } from './twilioSession.js';

/**
 * Options of Media Streams analysis on a {@link TwilioVoiceProvider}: set, every
 * answered call streams its inbound audio to the WebSocket endpoint, where the
 * analyser listens for special information tones, busy and reorder tones and,
 * when a verification asks for answering-machine detection, a machine.
 *
 * @example
 * ```ts
 * const provider = new TwilioVoiceProvider({
 *   ...credentials,
 *   publicBaseUrl: 'https://verify.example.com/twilio',
 *   mediaStreams: { analysis: { callProgress: { zones: ['us', 'uk'] } } }, // wss://verify.example.com/twilio/media-stream
 * });
 * ```
 */
export interface TwilioMediaStreamOptions {
  /**
   * The `wss://` URL Twilio connects to. Default: `publicBaseUrl` without
   * credentials, over `wss`, with `/media-stream` appended. The endpoint
   * accepts upgrades whose path ends with the same last segment.
   */
  url?: string;
  /**
   * What the analyser listens for; see the `AudioAnalyserOptions` of
   * `voice-mfa/audio`. Default: SIT, busy / reorder / ringback in the `us` zone,
   * answering machine, beeps.
   */
  analysis?: AudioAnalyserOptions;
  /** Largest WebSocket message accepted, in bytes (256 to 65 536). Default 8 192; Twilio's are under 1 KiB. */
  maxMessageBytes?: number;
  /**
   * How long a connection may take to send its `start` before it is closed,
   * and how long a started stream may then go without a message
   * (1 000 to 60 000 ms). Default 10 000; Twilio sends `start` right after
   * connecting and then audio every 20 ms, silence included.
   */
  startTimeoutMs?: number;
}

/**
 * A running Media Streams endpoint.
 *
 * @example
 * ```ts
 * const streams = await provider.listenForMediaStreams(server);
 * // …
 * await streams.close();
 * ```
 */
export interface TwilioMediaStreamEndpoint {
  /** Streams connected now. */
  readonly connections: number;
  /** Stops accepting streams and closes those still open. */
  close(): Promise<void>;
}

/** Default largest WebSocket message. */
export const DEFAULT_MAX_STREAM_MESSAGE_BYTES = 8_192;
/** Default time a connection has to start its stream. */
export const DEFAULT_STREAM_START_TIMEOUT_MS = 10_000;
/** Last segment of the default stream URL. */
export const MEDIA_STREAM_SEGMENT = 'media-stream';
/** Largest audio payload of one media message: a second of 8 kHz μ-law (Twilio sends 20 ms). */
const MAX_PAYLOAD_BYTES = 8_000;

/** How long a peer has to answer a close frame, before it is cut off (ws would wait 30 s). */
const CLOSE_GRACE_MS = 1_000;

/** WebSocket close codes (RFC 6455, 7.4.1). */
const CLOSE = { normal: 1000, unsupported: 1003, invalid: 1007, policy: 1008 } as const;

/**
 * The proof a stream of one call carries: an HMAC-SHA256, keyed by the auth
 * token, of the call's dial token and CallSid. Only this provider can make it,
 * and it is good for that call alone.
 *
 * @example
 * ```ts
 * const proof = signMediaStream(authToken, token, 'CA…'); // 64 hex digits
 * ```
 */
export function signMediaStream(authToken: string, token: string, callSid: string): string {
  return createHmac('sha256', authToken).update(`voice-mfa media stream\n${token}\n${callSid}`).digest('hex');
}

function isProofOf(authToken: string, token: string, callSid: string, proof: string): boolean {
  const expected = Buffer.from(signMediaStream(authToken, token, callSid), 'utf8');
  const given = Buffer.from(proof, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The `wss://` URL of the endpoint, from the option or the public base URL
 * (whose credentials are left out: a stream authenticates with its proof).
 * Throws a `VoiceMfaError` when there is no `wss` URL to give Twilio.
 */
export function toMediaStreamUrl(option: string | undefined, signedPublicBaseUrl: string): string {
  const given = option ?? signedPublicBaseUrl.replace(/^https:/, 'wss:').concat(`/${MEDIA_STREAM_SEGMENT}`);
  const url = URL.canParse(given) ? new URL(given) : null;
  if (url === null || url.protocol !== 'wss:' || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new VoiceMfaError(
      'INVALID_CONFIGURATION',
      option === undefined
        ? 'TwilioVoiceProvider: mediaStreams needs a wss:// URL: publicBaseUrl is not https, so give mediaStreams.url'
        : 'TwilioVoiceProvider: mediaStreams.url must be a wss:// URL without credentials, query or fragment',
    );
  }
  return given;
}

/** What the endpoint needs of its provider. */
export interface MediaStreamEndpointSettings {
  url: string;
  authToken: string;
  /** The SharedKey secrets a Twilio Webhook Rule may sign with instead of the auth token. */
  sharedKeySecrets: readonly string[];
  analysis: AudioAnalyserOptions;
  maxMessageBytes: number;
  startTimeoutMs: number;
  registry: TwilioCallRegistry;
  /** The durable service, when connected: it takes what was heard on calls no session here knows. */
  service(): TwilioWebhookService | null;
  onError(error: VoiceMfaError): void;
}

/** The last segment of a path (without query). */
function lastSegment(path: string): string {
  const end = path.indexOf('?');
  const bare = end === -1 ? path : path.slice(0, end);
  return bare.slice(bare.lastIndexOf('/') + 1);
}

/**
 * Why an upgrade is not Twilio's, as an HTTP status line, or `null`: Twilio
 * signs the WebSocket request to the stream URL as it signs a webhook
 * (`X-Twilio-Signature`, with no form). Its own libraries check the `wss://`
 * URL it was given; the same URL over `https://` is taken too, as Twilio's
 * pages do not spell the scheme out: either way only the key's holder could
 * have signed our URL.
 */
function refuseUpgrade(request: IncomingMessage, settings: MediaStreamEndpointSettings): string | null {
  // Each value as sent: Node would join a repeated signature into one.
  const signed = readSignatureHeaders(request.headersDistinct);
  if (typeof signed === 'string') return '400 Bad Request';
  const urls = [settings.url, settings.url.replace(/^wss:/, 'https:')];
  return refuseUnsigned(signed, urls, {}, settings) === null ? null : '403 Forbidden';
}

/**
 * Answers an upgrade with `status` and closes its socket. Node leaves an
 * upgraded socket without an error listener: a peer that resets the
 * connection meanwhile must not take the process down.
 */
function refuseSocket(socket: Duplex, status: string): void {
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Accepts Media Streams on `server`: WebSocket upgrades whose path ends like
 * the stream URL's and that carry Twilio's signature of the stream URL; other
 * upgrades are left to other listeners (or refused with 404 when there are
 * none), and unsigned ones refused with 400 or 403 before any WebSocket opens.
 */
export async function listenForMediaStreams(
  server: Server,
  settings: MediaStreamEndpointSettings,
): Promise<TwilioMediaStreamEndpoint> {
  // Loaded here, not at the top: `ws` is an optional peer dependency, needed only with Media Streams.
  const { WebSocketServer } = await import('ws');
  const sockets = new WebSocketServer({ noServer: true, maxPayload: settings.maxMessageBytes });
  const segment = lastSegment(new URL(settings.url).pathname);
  // The calls whose stream is open: a second stream of the same call (a replayed start) is refused.
  const started = new Set<string>();
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (lastSegment(request.url ?? '') !== segment) {
      if (server.listenerCount('upgrade') === 1) refuseSocket(socket, '404 Not Found');
      return;
    }
    const refused = refuseUpgrade(request, settings);
    if (refused !== null) {
      refuseSocket(socket, refused);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => new StreamConnection(ws, settings, started));
  };
  server.on('upgrade', onUpgrade);
  return {
    get connections() {
      return sockets.clients.size;
    },
    close: async () => {
      server.off('upgrade', onUpgrade);
      for (const ws of sockets.clients) ws.close(CLOSE.normal, 'closing');
      // A peer that does not answer the close frame is cut off, not waited for.
      const cutOff = setTimeout(() => {
        for (const ws of sockets.clients) ws.terminate();
      }, CLOSE_GRACE_MS);
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      clearTimeout(cutOff);
    },
  };
}

/** Why a socket is closed: a WebSocket close code and reason. */
interface Refusal {
  code: number;
  reason: string;
}

/** A stream Twilio started, with the call it proved to be. */
interface Stream {
  streamSid: string;
  callSid: string;
  token: string;
  /** `null` once a tone was heard: the attempt ends with it, and nothing heard after it matters. */
  analyser: AudioAnalyser | null;
}

/**
 * One WebSocket: `connected`, then `start` (which must carry its call's
 * proof), then `media` until `stop`. Anything out of order, forged or
 * malformed closes the socket; nothing of it reaches the machine.
 */
class StreamConnection {
  private phase: 'new' | 'connected' | 'streaming' | 'done' = 'new';
  private stream: Stream | null = null;
  /** What was heard is delivered in order, one message after the other. */
  private delivery: Promise<void> = Promise.resolve();
  /** A connection that never starts a stream, or a stream that goes quiet, is not kept open. */
  private readonly quietDeadline: ReturnType<typeof setTimeout>;
  /** The call this connection streams, once started: its key in `started`. */
  private callKey: string | null = null;

  constructor(
    private readonly ws: WebSocket,
    private readonly settings: MediaStreamEndpointSettings,
    private readonly started: Set<string>,
  ) {
    this.quietDeadline = setTimeout(() => {
      if (this.phase !== 'done')
        this.close(CLOSE.policy, this.phase === 'streaming' ? 'no message in time' : 'no start in time');
    }, settings.startTimeoutMs);
    this.quietDeadline.unref();
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearTimeout(this.quietDeadline);
      if (this.callKey !== null) this.started.delete(this.callKey);
    });
  }

  private onMessage(data: unknown, isBinary: boolean): void {
    if (this.phase === 'done') return;
    // A started stream stays open while messages come; before its start, only the start deadline counts.
    if (this.phase === 'streaming') this.quietDeadline.refresh();
    const refusal = this.handle(data, isBinary);
    if (refusal !== null) this.close(refusal.code, refusal.reason);
  }

  /** Handles one frame; what has no place in the stream is refused, and the socket closed. */
  private handle(data: unknown, isBinary: boolean): Refusal | null {
    if (isBinary || !Buffer.isBuffer(data))
      return { code: CLOSE.unsupported, reason: 'binary frames are not accepted' };
    const message = readMediaStreamMessage(data.toString('utf8'), MAX_PAYLOAD_BYTES);
    if ('refused' in message) return { code: CLOSE.invalid, reason: message.refused };
    switch (message.event) {
      case 'connected':
        if (this.phase !== 'new') return { code: CLOSE.policy, reason: 'connected twice' };
        this.phase = 'connected';
        return null;
      case 'start':
        return this.start(message);
      case 'media':
        return this.listen(message);
      case 'stop':
        if (this.stream?.streamSid !== message.streamSid)
          return { code: CLOSE.policy, reason: 'stop of another stream' };
        return { code: CLOSE.normal, reason: 'stopped' };
      case 'ignored':
        return null;
    }
  }

  private start(message: Extract<MediaStreamMessage, { event: 'start' }>): Refusal | null {
    if (this.phase !== 'connected') return { code: CLOSE.policy, reason: 'start out of order' };
    const token = message.customParameters[STREAM_PARAMETERS.token];
    const proof = message.customParameters[STREAM_PARAMETERS.proof];
    if (
      token === undefined ||
      proof === undefined ||
      !isProofOf(this.settings.authToken, token, message.callSid, proof)
    ) {
      return { code: CLOSE.policy, reason: 'not a stream of ours' };
    }
    const callKey = `${token}\n${message.callSid}`;
    if (this.started.has(callKey)) return { code: CLOSE.policy, reason: 'the stream of this call is open already' };
    this.started.add(callKey);
    this.callKey = callKey;
    this.phase = 'streaming';
    this.quietDeadline.refresh();
    this.stream = {
      streamSid: message.streamSid,
      callSid: message.callSid,
      token,
      analyser: new AudioAnalyser(this.settings.analysis),
    };
    return null;
  }

  /** Analyses the inbound audio of the stream and delivers what means something to the machine. */
  private listen(message: Extract<MediaStreamMessage, { event: 'media' }>): Refusal | null {
    const stream = this.stream;
    if (stream === null) return { code: CLOSE.policy, reason: 'media before start' };
    if (message.streamSid !== stream.streamSid) return { code: CLOSE.policy, reason: 'media of another stream' };
    if (message.track !== 'inbound' || stream.analyser === null) return null;
    for (const detection of stream.analyser.pushMulaw(message.payload)) {
      const heard = readDetection(detection);
      if (heard === null) continue;
      this.deliver({ kind: 'heard', token: stream.token, callSid: stream.callSid, heard });
      if (heard.kind === 'tone') {
        stream.analyser = null;
        break;
      }
    }
    return null;
  }

  /** Hands what was heard to the call's session here, or to the durable service. */
  private deliver(inbound: Extract<TwilioInbound, { kind: 'heard' }>): void {
    const { registry, service, onError } = this.settings;
    this.delivery = this.delivery
      .then(async () => {
        const target = await registry.findByDialToken(inbound.token);
        if (target instanceof TwilioSession) return target.receiveHeard(inbound);
        const durable = service();
        if (durable !== null) {
          await durable.receive({ kind: TWILIO_TOKEN_BINDING, key: inbound.token }, inbound);
        } else if (target !== undefined) {
          // A registry's own target (a session restored elsewhere) takes webhooks only.
          throw new Error('the call registry found a target that is not a session of this provider');
        }
      })
      .catch((error: unknown) =>
        onError(
          new VoiceMfaError('PROVIDER_ERROR', 'What a Media Stream heard could not be delivered', { cause: error }),
        ),
      );
  }

  /**
   * Closes the socket: at the stream's end, or because of a message that has
   * no place in it, or a deadline. A peer that does not answer the close frame
   * is cut off, so that a refused or idle connection holds nothing for long.
   */
  private close(code: number, reason: string): void {
    this.phase = 'done';
    this.stream = null;
    this.ws.close(code, reason);
    const cutOff = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
    cutOff.unref();
    this.ws.once('close', () => clearTimeout(cutOff));
  }
}
