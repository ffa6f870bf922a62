/**
 * Twilio's side of a Media Stream, for tests: a real `ws` client that sends
 * the `connected` / `start` / `media` / `stop` messages Twilio documents, and
 * the audio it can carry, synthesised.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { encodeMulaw } from '../../src/audio/mulaw.js';
import { concat, renderSegments, silence, sitSegments, speechLike, spokenWord } from '../../src/audio/synthesis.js';
import { createSeededRandom } from '../../src/providers/simulated/random.js';
import { ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, verb } from './twilioFake.js';
import { elementsOf, type XmlElement } from './xml.js';

export /** The `<Start><Stream>` of a TwiML answer, with its parameters. */
function streamOf(twiml: XmlElement): { attributes: Record<string, string>; parameters: Record<string, string> } {
  const [stream, ...others] = elementsOf(verb(twiml, 'Start'));
  expect(others).toEqual([]);
  if (stream === undefined) throw new Error('<Start> without <Stream>');
  expect(stream.name).toBe('Stream');
  const parameters: Record<string, string> = {};
  for (const parameter of elementsOf(stream)) {
    expect(parameter.name).toBe('Parameter');
    parameters[String(parameter.attributes.name)] = String(parameter.attributes.value);
  }
  return { attributes: stream.attributes as Record<string, string>, parameters };
}

/** The stream URL the provider gives Twilio by default. */
export const STREAM_URL = `${PUBLIC_BASE_URL.replace('https:', 'wss:')}/media-stream`;

/** The headers of Twilio's signed upgrade to `url`, signed with `authToken`. */
export function signedUpgrade(url = STREAM_URL, authToken = AUTH_TOKEN): Record<string, string> {
  return { 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(authToken, url, {}) };
}

export const sid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;

/** Plays Twilio's side of one Media Stream. */
export class TwilioStream {
  readonly streamSid = sid('MZ');
  private sequence = 1;
  private chunk = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
    );
  }

  /**
   * Connects as Twilio does: to `path`, signing the upgrade (`X-Twilio-Signature`
   * over the stream URL the provider gave, with no form) unless `headers` say otherwise.
   */
  static async open(
    server: Server,
    path = '/hooks/media-stream',
    headers: Record<string, string> = signedUpgrade(),
  ): Promise<TwilioStream> {
    const { port } = server.address() as AddressInfo;
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TwilioStream(ws);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  connected(): void {
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  }

  start(callSid: string, customParameters: Record<string, string>, format: Record<string, unknown> = {}): void {
    this.send({
      event: 'start',
      sequenceNumber: String(this.sequence++),
      start: {
        accountSid: ACCOUNT_SID,
        streamSid: this.streamSid,
        callSid,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1, ...format },
        customParameters,
      },
      streamSid: this.streamSid,
    });
  }

  /** Sends μ-law audio as Twilio does: 20 ms (160 bytes) per `media` message. */
  async media(audio: Uint8Array): Promise<void> {
    for (let offset = 0; offset < audio.length; offset += 160) {
      const payload = Buffer.from(audio.subarray(offset, offset + 160)).toString('base64');
      this.send({
        event: 'media',
        sequenceNumber: String(this.sequence++),
        media: { track: 'inbound', chunk: String(this.chunk), timestamp: String(this.chunk * 20), payload },
        streamSid: this.streamSid,
      });
      this.chunk++;
    }
    // Every message sent before what follows is read.
    await new Promise<void>((resolve, reject) =>
      this.ws.send('{"event":"mark","mark":{"name":"flush"}}', (e) => (e ? reject(e) : resolve())),
    );
  }

  stop(callSid: string): void {
    this.send({
      event: 'stop',
      sequenceNumber: String(this.sequence++),
      stop: { accountSid: ACCOUNT_SID, callSid },
      streamSid: this.streamSid,
    });
  }
}

const random = createSeededRandom(12);
/** A disconnected number's recording: the intercept tones, then the announcement. */
export const interceptAudio = () =>
  encodeMulaw(
    concat(silence(60), renderSegments(sitSegments('intercept', -20), random), speechLike(random, 1_000, -16)),
  );
/** A person: "Hello?", then silence while they listen. */
export const helloAudio = () => encodeMulaw(concat(silence(300), spokenWord(random, 500, -16), silence(2_500)));
/** A voicemail greeting. */
export const greetingAudio = () => encodeMulaw(concat(silence(300), speechLike(random, 4_000, -16)));
