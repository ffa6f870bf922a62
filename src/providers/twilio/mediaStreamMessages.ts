/**
 * The messages Twilio sends over a Media Streams WebSocket (`connected`,
 * `start`, `media`, `stop`; twilio.com/docs/voice/media-streams/websocket-messages),
 * read strictly: anything that is not exactly what Twilio documents is refused
 * with the reason, never half-read.
 *
 * @module
 */

/** The stream's format, as Twilio documents it for every stream: 8 kHz mono G.711 μ-law. */
const MEDIA_FORMAT = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } as const;

const STREAM_SID = /^MZ[0-9a-fA-F]{32}$/;
const CALL_SID = /^CA[0-9a-fA-F]{32}$/;
const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Custom parameters a stream may carry, and their longest value: ours are two short strings. */
const MAX_PARAMETERS = 16;
const MAX_PARAMETER_LENGTH = 256;

/**
 * A message from Twilio, read. `ignored` is a well-formed message of a kind
 * the analysis has no use for (`mark`, `dtmf`, a kind added later).
 */
export type MediaStreamMessage =
  | { event: 'connected' }
  | {
      event: 'start';
      streamSid: string;
      accountSid: string;
      callSid: string;
      tracks: readonly string[];
      customParameters: Readonly<Record<string, string>>;
    }
  | { event: 'media'; streamSid: string; track: string; payload: Uint8Array }
  | { event: 'stop'; streamSid: string }
  | { event: 'ignored'; name: string };

/** A message refused, and why: the reason a WebSocket close frame carries. */
export interface RefusedMessage {
  refused: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads one text frame. `maxPayloadBytes` bounds the audio of one `media`
 * message (Twilio sends 20 ms, 160 bytes).
 *
 * @example
 * ```ts
 * readMediaStreamMessage('{"event":"connected","protocol":"Call","version":"1.0.0"}', 1600); // { event: 'connected' }
 * readMediaStreamMessage('{"event":"media"}', 1600); // { refused: 'media: no streamSid' }
 * ```
 */
export function readMediaStreamMessage(text: string, maxPayloadBytes: number): MediaStreamMessage | RefusedMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { refused: 'not JSON' };
  }
  if (!isObject(parsed) || typeof parsed.event !== 'string') return { refused: 'not a Media Streams message' };
  switch (parsed.event) {
    case 'connected':
      return typeof parsed.protocol === 'string' && typeof parsed.version === 'string'
        ? { event: 'connected' }
        : { refused: 'connected: no protocol or version' };
    case 'start':
      return readStart(parsed);
    case 'media':
      return readMedia(parsed, maxPayloadBytes);
    case 'stop':
      return typeof parsed.streamSid === 'string' && STREAM_SID.test(parsed.streamSid)
        ? { event: 'stop', streamSid: parsed.streamSid }
        : { refused: 'stop: no streamSid' };
    default:
      return { event: 'ignored', name: parsed.event.slice(0, 32) };
  }
}

function readStart(message: Json): MediaStreamMessage | RefusedMessage {
  const start = message.start;
  if (!isObject(start)) return { refused: 'start: no start object' };
  const { streamSid, accountSid, callSid, tracks, customParameters, mediaFormat } = start;
  if (typeof streamSid !== 'string' || !STREAM_SID.test(streamSid)) return { refused: 'start: no streamSid' };
  if (message.streamSid !== undefined && message.streamSid !== streamSid) {
    return { refused: 'start: two streamSids' };
  }
  if (typeof accountSid !== 'string' || !ACCOUNT_SID.test(accountSid)) return { refused: 'start: no accountSid' };
  if (typeof callSid !== 'string' || !CALL_SID.test(callSid)) return { refused: 'start: no callSid' };
  if (!Array.isArray(tracks) || !tracks.every((track) => typeof track === 'string')) {
    return { refused: 'start: no tracks' };
  }
  if (
    !isObject(mediaFormat) ||
    mediaFormat.encoding !== MEDIA_FORMAT.encoding ||
    mediaFormat.sampleRate !== MEDIA_FORMAT.sampleRate ||
    mediaFormat.channels !== MEDIA_FORMAT.channels
  ) {
    return { refused: 'start: not 8 kHz mono audio/x-mulaw' };
  }
  const parameters = customParameters ?? {};
  if (!isObject(parameters)) return { refused: 'start: customParameters is not an object' };
  const entries = Object.entries(parameters);
  if (
    entries.length > MAX_PARAMETERS ||
    !entries.every(([, value]) => typeof value === 'string' && value.length <= MAX_PARAMETER_LENGTH)
  ) {
    return { refused: 'start: customParameters are not short strings' };
  }
  return {
    event: 'start',
    streamSid,
    accountSid,
    callSid,
    tracks: tracks as string[],
    customParameters: Object.fromEntries(entries) as Record<string, string>,
  };
}

function readMedia(message: Json, maxPayloadBytes: number): MediaStreamMessage | RefusedMessage {
  const { streamSid, media } = message;
  if (typeof streamSid !== 'string' || !STREAM_SID.test(streamSid)) return { refused: 'media: no streamSid' };
  if (!isObject(media) || typeof media.track !== 'string' || typeof media.payload !== 'string') {
    return { refused: 'media: no track or payload' };
  }
  // Four base64 characters carry three bytes: the length is checked before anything is decoded.
  if (media.payload.length > Math.ceil(maxPayloadBytes / 3) * 4) return { refused: 'media: payload too large' };
  if (!BASE64.test(media.payload)) return { refused: 'media: payload is not base64' };
  const payload = Buffer.from(media.payload, 'base64');
  // The length check above allows up to two bytes more (a last group of four characters carries up to three).
  if (payload.length > maxPayloadBytes) return { refused: 'media: payload too large' };
  return { event: 'media', streamSid, track: media.track, payload };
}
