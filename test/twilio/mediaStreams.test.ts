/**
 * Twilio Media Streams end to end: the provider against a test that plays
 * Twilio — REST, signed webhooks, and a real WebSocket client on 127.0.0.1
 * sending Twilio's `connected` / `start` / `media` / `stop` messages with
 * synthesised audio.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import twilio from 'twilio';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VoiceMfaError } from '../../src/errors.js';
import { describeAttemptResult } from '../../src/machine/outcomes.js';
import type { VerificationRequest } from '../../src/machine/types.js';
import type { TwilioMediaStreamEndpoint } from '../../src/providers/twilio/index.js';
import { readMediaStreamMessage } from '../../src/providers/twilio/mediaStreamMessages.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import { type FakeCall, PUBLIC_BASE_URL, verbNames } from '../support/twilioFake.js';
import { startTwilioHarness, type TwilioHarness } from '../support/twilioHarness.js';
import {
  greetingAudio,
  helloAudio,
  interceptAudio,
  STREAM_URL,
  sid,
  signedUpgrade,
  streamOf,
  TwilioStream,
} from '../support/twilioMediaStream.js';
import type { XmlElement } from '../support/xml.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

let h: TwilioHarness | null = null;
let streams: TwilioMediaStreamEndpoint | null = null;

afterEach(async () => {
  await streams?.close();
  await h?.close();
  expect(h?.errors ?? []).toEqual([]);
  streams = null;
  h = null;
});

async function start(options: Parameters<typeof startTwilioHarness>[0] = { mediaStreams: {} }) {
  h = await startTwilioHarness(options);
  streams = await h.provider.listenForMediaStreams(h.server);
  return h;
}

function verify(request: VerificationRequest) {
  if (h === null) throw new Error('no harness');
  return runVerification(request, { provider: h.provider });
}

const answered = (call: FakeCall): Promise<XmlElement> => call.ringAndAnswer();

/** A verification of the primary and the backup whose first call is answered, and a WebSocket open to the endpoint. */
async function answeredWithStream(
  request: VerificationRequest = { targets: [PRIMARY, BACKUP] },
  options: Parameters<typeof startTwilioHarness>[0] = { mediaStreams: {} },
) {
  const harness = await start(options);
  const verification = verify(request);
  const call = await harness.call(1);
  const greeting = await answered(call);
  const stream = await TwilioStream.open(harness.server);
  return { harness, verification, call, greeting, stream, parameters: streamOf(greeting).parameters };
}

describe('Twilio Media Streams', () => {
  it('starts the stream of an answered call before its greeting, once, with a proof tied to the call', async () => {
    const harness = await start();
    const verification = verify({ targets: [PRIMARY] });
    const call = await harness.call(1);
    const greeting = await answered(call);
    expect(verbNames(greeting)[0]).toBe('Start');
    expect(verbNames(greeting).slice(1, 2)).toEqual(['Gather']);
    const { attributes, parameters } = streamOf(greeting);
    expect(attributes).toEqual({ url: STREAM_URL, track: 'inbound_track' });
    const token = /[?&]t=([0-9a-f]{32})/.exec(String(call.create.data.Url))?.[1];
    expect(parameters).toEqual({ t: token, m: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // The stream runs until the call ends: later documents do not start another.
    const reprompt = await call.press(greeting, '1#');
    expect(verbNames(reprompt)).not.toContain('Start');
    await call.press(reprompt, '#');
    expect((await call.status('completed', { CallDuration: '9' })).status).toBe(200);
    expect((await verification).status).toBe('approved');
  });

  it('starts no stream unless configured', async () => {
    const harness = await startTwilioHarness();
    h = harness;
    await expect(harness.provider.listenForMediaStreams(harness.server)).rejects.toThrow(VoiceMfaError);
    const verification = verify({ targets: [PRIMARY] });
    const call = await harness.call(1);
    const greeting = await answered(call);
    expect(verbNames(greeting)).not.toContain('Start');
    await call.press(greeting, '#');
    expect((await verification).status).toBe('approved');
  });

  it('ends the attempt as sit:intercept and rolls over when the stream hears intercept tones', async () => {
    const harness = await start();
    const verification = verify({ targets: [PRIMARY, BACKUP] });
    const first = await harness.call(1);
    const { parameters } = streamOf(await answered(first));
    const stream = await TwilioStream.open(harness.server);
    stream.connected();
    stream.start(first.sid, parameters);
    await stream.media(interceptAudio());
    const second = await harness.call(2);
    expect(second.to).toBe(BACKUP);
    // The first call, answered by the recording, is ended by REST.
    expect(harness.rest.updates().map((u) => [u.uri.endsWith(`/Calls/${first.sid}.json`), u.data.Status])).toEqual([
      [true, 'completed'],
    ]);
    stream.stop(first.sid);
    expect((await stream.closed).code).toBe(1000);
    expect((await first.status('completed', { CallDuration: '2' })).status).toBe(200);
    await second.press(await answered(second), '#');
    const result = await verification;
    expect(result.status).toBe('approved');
    expect(result.attempts.map((a) => describeAttemptResult(a))).toEqual(['sit:intercept', 'approved']);
  });

  it('changes nothing when the stream hears a person', async () => {
    const { harness, verification, call, greeting, stream, parameters } = await answeredWithStream();
    stream.connected();
    stream.start(call.sid, parameters);
    await stream.media(helloAudio());
    await call.press(greeting, '#');
    stream.stop(call.sid);
    expect((await stream.closed).code).toBe(1000);
    const result = await verification;
    expect(result.status).toBe('approved');
    expect(result.attempts).toHaveLength(1);
    expect(harness.rest.creates()).toHaveLength(1);
    expect(harness.rest.updates()).toEqual([]);
  });

  it("takes the stream's verdict of a greeting as a machine when detection is asked for", async () => {
    const harness = await start();
    const verification = verify({ targets: [PRIMARY, BACKUP], answeringMachineDetection: true });
    const first = await harness.call(1);
    const stream = await TwilioStream.open(harness.server);
    stream.connected();
    stream.start(first.sid, streamOf(await answered(first)).parameters);
    await stream.media(greetingAudio());
    const second = await harness.call(2);
    // Twilio's own verdict, later, changes nothing.
    expect((await first.machineDetection('machine_end_beep')).status).toBe(200);
    await second.press(await answered(second), '#');
    const result = await verification;
    expect(result.attempts.map((a) => a.result)).toEqual(['voicemail', 'approved']);
  });

  it.each<[string, (stream: TwilioStream, callSid: string, parameters: Record<string, string>) => void, number]>([
    ['a frame that is not JSON', (s) => s.send('{"event":'), 1007],
    ['a binary frame', (s) => s.ws.send(Buffer.from([1, 2, 3])), 1003],
    [
      'media before start',
      (s) => s.send({ event: 'media', streamSid: s.streamSid, media: { track: 'inbound', payload: '' } }),
      1008,
    ],
    ['start before connected', (s, callSid, parameters) => s.start(callSid, parameters), 1008],
    [
      'a start whose proof is forged',
      (s, callSid, parameters) => {
        s.connected();
        s.start(callSid, { ...parameters, m: 'f'.repeat(64) });
      },
      1008,
    ],
    [
      'a start whose proof belongs to another call',
      (s, _callSid, parameters) => {
        s.connected();
        s.start(sid('CA'), parameters);
      },
      1008,
    ],
    [
      'a start without parameters',
      (s, callSid) => {
        s.connected();
        s.start(callSid, {});
      },
      1008,
    ],
    [
      'audio in another encoding',
      (s, callSid, parameters) => {
        s.connected();
        s.start(callSid, parameters, { encoding: 'audio/x-l16', sampleRate: 16000 });
      },
      1007,
    ],
    [
      'media of another stream',
      (s, callSid, parameters) => {
        s.connected();
        s.start(callSid, parameters);
        s.send({ event: 'media', streamSid: sid('MZ'), media: { track: 'inbound', payload: 'AAAA' } });
      },
      1008,
    ],
    [
      'a payload that is not base64',
      (s, callSid, parameters) => {
        s.connected();
        s.start(callSid, parameters);
        s.send({ event: 'media', streamSid: s.streamSid, media: { track: 'inbound', payload: '**not base64**' } });
      },
      1007,
    ],
    [
      'a payload over a second of audio',
      (s, callSid, parameters) => {
        s.connected();
        s.start(callSid, parameters);
        s.send({ event: 'media', streamSid: s.streamSid, media: { track: 'inbound', payload: 'A'.repeat(12_000) } });
      },
      1009,
    ],
    [
      'a second start',
      (s, callSid, parameters) => {
        s.connected();
        s.start(callSid, parameters);
        s.start(callSid, parameters);
      },
      1008,
    ],
  ])('closes the socket on %s, and the call goes on', async (_name, misbehave, code) => {
    const { harness, verification, call, greeting, stream, parameters } = await answeredWithStream();
    misbehave(stream, call.sid, parameters);
    expect((await stream.closed).code).toBe(code);
    // Whatever came after the refusal is never analysed.
    await call.press(greeting, '#');
    const result = await verification;
    expect(result.status).toBe('approved');
    expect(harness.rest.creates()).toHaveLength(1);
    expect(harness.rest.updates()).toEqual([]);
  });

  it('refuses more than a second of audio in one message, even where the message size allows it', async () => {
    const { verification, call, greeting, stream, parameters } = await answeredWithStream(undefined, {
      mediaStreams: { maxMessageBytes: 65_536 },
    });
    stream.connected();
    stream.start(call.sid, parameters);
    stream.send({
      event: 'media',
      streamSid: stream.streamSid,
      media: { track: 'inbound', payload: 'A'.repeat(12_000) },
    });
    expect(await stream.closed).toEqual({ code: 1007, reason: 'media: payload too large' });
    await call.press(greeting, '#');
    expect((await verification).status).toBe('approved');
  });

  it('closes a connection that does not start its stream in time', async () => {
    const harness = await start({ mediaStreams: { startTimeoutMs: 1_000 } });
    // Before the first connection: the server's deadline starts once it accepts it, however long the handshake.
    const startedAt = Date.now();
    const silent = await TwilioStream.open(harness.server);
    const connectedOnly = await TwilioStream.open(harness.server);
    connectedOnly.connected();
    expect(await silent.closed).toEqual({ code: 1008, reason: 'no start in time' });
    expect(await connectedOnly.closed).toEqual({ code: 1008, reason: 'no start in time' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
  });

  it('closes a started stream that goes quiet', async () => {
    const { verification, call, greeting, stream, parameters } = await answeredWithStream(undefined, {
      mediaStreams: { startTimeoutMs: 1_000 },
    });
    stream.connected();
    stream.start(call.sid, parameters);
    await stream.media(helloAudio());
    const quietFrom = Date.now();
    expect(await stream.closed).toEqual({ code: 1008, reason: 'no message in time' });
    expect(Date.now() - quietFrom).toBeGreaterThanOrEqual(900);
    await call.press(greeting, '#');
    expect((await verification).status).toBe('approved');
  });

  it('refuses a second stream of a call whose stream is open: a replayed start plays nothing', async () => {
    const { harness, verification, call, greeting, stream, parameters } = await answeredWithStream();
    stream.connected();
    stream.start(call.sid, parameters);
    await stream.media(helloAudio());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const replay = await TwilioStream.open(harness.server);
    replay.ws.on('error', () => {});
    replay.connected();
    replay.start(call.sid, parameters);
    await replay.media(interceptAudio()).catch(() => {});
    expect(await replay.closed).toEqual({ code: 1008, reason: 'the stream of this call is open already' });
    await call.press(greeting, '#');
    expect((await verification).attempts.map((a) => a.result)).toEqual(['approved']);
  });

  /** A WebSocket opened on the stream path by a bare TCP peer, which answers no frame it is sent. */
  async function rawWebSocket(server: Server): Promise<Socket> {
    const { port } = server.address() as AddressInfo;
    const raw = connect(port, '127.0.0.1');
    raw.write(
      'GET /hooks/media-stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
        `X-Twilio-Signature: ${signedUpgrade()['X-Twilio-Signature']}\r\n\r\n`,
    );
    const [answer] = await once(raw, 'data');
    expect(String(answer)).toMatch(/^HTTP\/1\.1 101/);
    return raw;
  }

  it('closing the endpoint cuts off a peer that does not answer the close frame', async () => {
    const harness = await start();
    const raw = await rawWebSocket(harness.server);
    const cutOff = once(raw, 'close');
    // The raw peer reads what comes and never answers the close frame.
    raw.on('data', () => {});
    expect(streams?.connections).toBe(1);
    const closingFrom = Date.now();
    await streams?.close();
    streams = null;
    expect(Date.now() - closingFrom).toBeLessThan(5_000);
    await cutOff;
  });

  it('a connection closed for its start deadline is cut off when the peer does not answer the close frame', async () => {
    const harness = await start({ mediaStreams: { startTimeoutMs: 1_000 } });
    const raw = await rawWebSocket(harness.server);
    const openedAt = Date.now();
    // The raw peer never starts a stream, reads what comes and never answers the close frame.
    raw.on('data', () => {});
    await once(raw, 'close');
    // The start deadline (1 s), then a second for the close frame's answer: not ws's 30 s.
    expect(Date.now() - openedAt).toBeLessThan(5_000);
    await vi.waitFor(() => expect(streams?.connections).toBe(0));
  });

  it('refuses a start deadline or a message size out of range', async () => {
    await expect(start({ mediaStreams: { startTimeoutMs: 100 } })).rejects.toThrow(/startTimeoutMs/);
    await expect(start({ mediaStreams: { maxMessageBytes: 100 } })).rejects.toThrow(/maxMessageBytes/);
    h = null;
  });

  it('a forged stream playing intercept tones changes nothing', async () => {
    const { verification, call, greeting, stream, parameters } = await answeredWithStream();
    stream.connected();
    stream.start(call.sid, { ...parameters, m: 'a'.repeat(64) });
    stream.ws.on('error', () => {});
    await stream.media(interceptAudio()).catch(() => {});
    expect((await stream.closed).code).toBe(1008);
    await call.press(greeting, '#');
    expect((await verification).attempts.map((a) => a.result)).toEqual(['approved']);
  });

  it('ignores well-formed messages it has no use for and refuses upgrades elsewhere', async () => {
    const harness = await start();
    const stream = await TwilioStream.open(harness.server);
    stream.connected();
    stream.send({ event: 'dtmf', streamSid: stream.streamSid, dtmf: { track: 'inbound_track', digit: '1' } });
    stream.send({ event: 'mark', streamSid: stream.streamSid, mark: { name: 'x' } });
    stream.stop(sid('CA'));
    // A stop of a stream that never started is refused.
    expect((await stream.closed).code).toBe(1008);
    await expect(TwilioStream.open(harness.server, '/hooks/elsewhere')).rejects.toThrow(/404/);
  });

  /** The status line an upgrade with `headers` is answered with, read off the raw socket. */
  async function upgradeStatus(server: Server, headers: string): Promise<string> {
    const { port } = server.address() as AddressInfo;
    const raw = connect(port, '127.0.0.1');
    raw.write(
      'GET /hooks/media-stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`,
    );
    const [answer] = await once(raw, 'data');
    const status = String(answer).split('\r\n')[0] ?? '';
    // A refused upgrade is closed by the server; an accepted one is left for the start deadline, so end it here.
    if (status.includes(' 101 ')) raw.destroy();
    else await once(raw.resume(), 'close');
    return status;
  }

  it("refuses an upgrade without Twilio's signature of the stream URL before any WebSocket opens", async () => {
    const harness = await start();
    const signature = signedUpgrade()['X-Twilio-Signature'];
    const cases: [string, string][] = [
      ['', 'HTTP/1.1 400 Bad Request'],
      [`X-Twilio-Signature: ${signature}\r\nX-Twilio-Signature: ${signature}\r\n`, 'HTTP/1.1 400 Bad Request'],
      // Signed with another token, or over another URL: the webhook base, another stream path.
      [
        `X-Twilio-Signature: ${signedUpgrade(STREAM_URL, 'another-token')['X-Twilio-Signature']}\r\n`,
        'HTTP/1.1 403 Forbidden',
      ],
      [`X-Twilio-Signature: ${signedUpgrade(PUBLIC_BASE_URL)['X-Twilio-Signature']}\r\n`, 'HTTP/1.1 403 Forbidden'],
      [`X-Twilio-Signature: ${signedUpgrade(`${STREAM_URL}-2`)['X-Twilio-Signature']}\r\n`, 'HTTP/1.1 403 Forbidden'],
      // Signed with a SharedKey while the provider has none.
      [
        `X-Twilio-Signature: ${signature}\r\nX-Twilio-Webhooks-Signature-Settings: key=k,algorithm=HMAC_SHA256\r\n`,
        'HTTP/1.1 403 Forbidden',
      ],
    ];
    for (const [headers, status] of cases) expect(await upgradeStatus(harness.server, headers)).toBe(status);
    expect(streams?.connections).toBe(0);
    await expect(TwilioStream.open(harness.server, '/hooks/media-stream', {})).rejects.toThrow(/400/);
    // Signed, the same upgrade opens; signed over the stream URL written with https as well.
    for (const url of [STREAM_URL, STREAM_URL.replace('wss:', 'https:')]) {
      expect(
        await upgradeStatus(harness.server, `X-Twilio-Signature: ${signedUpgrade(url)['X-Twilio-Signature']}\r\n`),
      ).toBe('HTTP/1.1 101 Switching Protocols');
    }
  });

  it('survives peers that reset the connection while an upgrade is refused', async () => {
    const harness = await start();
    const { port } = harness.server.address() as AddressInfo;
    const upgrade = (path: string) =>
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
    // Unsigned (refused with 400) and elsewhere (404), each peer resetting right after its request.
    for (let i = 0; i < 40; i++) {
      const raw = connect(port, '127.0.0.1');
      raw.on('error', () => {});
      await once(raw, 'connect');
      const closed = once(raw, 'close');
      raw.write(upgrade(i % 2 === 0 ? '/hooks/media-stream' : '/hooks/elsewhere'), () => raw.resetAndDestroy());
      await closed;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Still serving: a signed stream opens.
    const stream = await TwilioStream.open(harness.server);
    stream.ws.close();
    await stream.closed;
  });

  it('takes upgrades signed over its own stream URL, or with a SharedKey secret', async () => {
    const url = 'wss://streams.example.test/voice/media';
    const sharedKeySecret = 'shared-key-secret-0123456789abcdef';
    const harness = await start({ mediaStreams: { url }, sharedKeySecret });
    // Twilio reaches it by any path that ends like the URL's; the signature is over the URL it was given.
    const byToken = await TwilioStream.open(harness.server, '/proxied/media', signedUpgrade(url));
    const sha256 = twilio.getExpectedTwilioSignature(sharedKeySecret, url, {}, twilio.HMAC_SHA256);
    const byKey = await TwilioStream.open(harness.server, '/proxied/media', {
      'X-Twilio-Signature': sha256,
      'X-Twilio-Webhooks-Signature-Settings': 'key=webhooks_sharedkey_01,algorithm=HMAC_SHA256',
    });
    expect(streams?.connections).toBe(2);
    await expect(TwilioStream.open(harness.server, '/proxied/media', signedUpgrade())).rejects.toThrow(/403/);
    byToken.ws.close();
    byKey.ws.close();
    await Promise.all([byToken.closed, byKey.closed]);
  });

  it('refuses a stream URL that is not wss, and analyser options that cannot work', async () => {
    await expect(start({ mediaStreams: { url: 'https://verify.example.test/stream' } })).rejects.toThrow(/wss/);
    await expect(start({ publicBaseUrl: 'http://verify.example.test/twilio', mediaStreams: {} })).rejects.toThrow(
      /wss/,
    );
    await expect(start({ mediaStreams: { analysis: { sit: { minLevelDbm0: 5 } } } })).rejects.toThrow(/minLevelDbm0/);
    h = null;
  });
});

describe('reading a Media Stream message', () => {
  const media = (bytes: number) =>
    JSON.stringify({
      event: 'media',
      streamSid: `MZ${'0'.repeat(32)}`,
      media: { track: 'inbound', payload: Buffer.alloc(bytes, 0xff).toString('base64') },
    });

  it('bounds the audio of one message to the byte: the bound passes, one byte more is refused', () => {
    const atBound = readMediaStreamMessage(media(8_000), 8_000);
    expect(atBound).toMatchObject({ event: 'media' });
    expect((atBound as unknown as { payload: Uint8Array }).payload).toHaveLength(8_000);
    for (const bytes of [8_001, 8_002]) {
      expect(readMediaStreamMessage(media(bytes), 8_000), `${bytes} bytes`).toEqual({
        refused: 'media: payload too large',
      });
    }
  });
});
