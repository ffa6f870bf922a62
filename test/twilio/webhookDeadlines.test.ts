/**
 * Deadlines of the webhook listener and server: a body that never completes
 * is answered 408 and its connection closed without reaching the core, slow
 * headers are cut by the server's header deadline, and no request leaves a
 * timer behind. Clients are raw TCP sockets on 127.0.0.1, so that a request
 * can stop half-way.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VoiceMfaError } from '../../src/errors.js';
import {
  createTwilioWebhookListener,
  createTwilioWebhookServer,
  TwilioVoiceProvider,
  type TwilioWebhookRequest,
} from '../../src/providers/twilio/index.js';
import { ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, randomToken } from '../support/twilioFake.js';

const servers: Server[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A handler that records what reaches it. */
function recordingHandler() {
  const handled: TwilioWebhookRequest[] = [];
  const handle = async (request: TwilioWebhookRequest) => {
    handled.push(request);
    return { status: 200, contentType: 'text/xml', body: '<Response/>' };
  };
  return { handled, handle };
}

interface RawExchange {
  socket: Socket;
  /** Everything the server sent, once it closed the connection, and when (ms since `sentAt`). */
  closed: Promise<{ reply: string; afterMs: number }>;
  sentAt: number;
}

/** Connects, writes `text`, and keeps the connection open until the server closes it. */
async function sendRaw(port: number, text: string): Promise<RawExchange> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  // A reset by the server is one way for it to close the connection.
  socket.on('error', () => {});
  let reply = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    reply += chunk;
  });
  socket.write(text);
  const sentAt = performance.now();
  const closed = new Promise<{ reply: string; afterMs: number }>((resolve) =>
    socket.once('close', () => resolve({ reply, afterMs: performance.now() - sentAt })),
  );
  return { socket, closed, sentAt };
}

/** Waits, on real time (fake timers leave `node:timers/promises` alone), until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  const giveUpAt = performance.now() + 2_000;
  while (!condition()) {
    if (performance.now() > giveUpAt) throw new Error('still waiting after 2 s');
    await sleep(5);
  }
}

const FORM = `CallSid=CA${'0'.repeat(32)}&CallStatus=ringing`;
const SECOND_HALF = FORM.slice(FORM.length / 2);

/**
 * Request line and headers of a webhook that announces the whole form and
 * sends only its first half; `Connection: close` when the server should close
 * the connection after answering.
 */
function halfSentRequest(connection: 'keep-alive' | 'close' = 'keep-alive'): string {
  return [
    `POST /twilio/status?t=${randomToken()} HTTP/1.1`,
    'Host: 127.0.0.1',
    `Connection: ${connection}`,
    'Content-Type: application/x-www-form-urlencoded',
    'X-Twilio-Signature: x',
    `Content-Length: ${FORM.length}`,
    '',
    FORM.slice(0, FORM.length / 2),
  ].join('\r\n');
}

/** Time allowed past a deadline for the event loop and the loopback: generous, as the machine is shared, and still far short of the defaults (10 s and more). */
const MARGIN_MS = 1_500;

describe('the body read deadline', () => {
  it('answers a half-sent body 408 and closes its connection at the deadline, and nothing reaches the core', async () => {
    const { handled, handle } = recordingHandler();
    const port = await listen(createServer(createTwilioWebhookListener(handle, { bodyReadTimeoutMs: 300 })));
    const exchange = await sendRaw(port, halfSentRequest());
    const { reply, afterMs } = await exchange.closed;
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(reply).toMatch(/\r\nconnection: close\r\n/i);
    expect(afterMs).toBeGreaterThanOrEqual(295);
    expect(afterMs).toBeLessThan(300 + MARGIN_MS);
    expect(handled).toEqual([]);
  });

  it('gives a body 10 s by default, and not a millisecond more', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { handled, handle } = recordingHandler();
    const port = await listen(createServer(createTwilioWebhookListener(handle)));
    const exchange = await sendRaw(port, halfSentRequest());
    await until(() => vi.getTimerCount() === 1);
    vi.advanceTimersByTime(9_999);
    await sleep(100);
    expect(exchange.socket.closed).toBe(false);
    vi.advanceTimersByTime(1);
    expect((await exchange.closed).reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(handled).toEqual([]);
  });

  it('reads a body that arrives in pieces within the deadline', async () => {
    const { handled, handle } = recordingHandler();
    const port = await listen(createServer(createTwilioWebhookListener(handle, { bodyReadTimeoutMs: 1_000 })));
    const exchange = await sendRaw(port, halfSentRequest('close'));
    await sleep(100);
    exchange.socket.write(SECOND_HALF);
    expect((await exchange.closed).reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(handled.map((request) => request.body.toString())).toEqual([FORM]);
  });

  it('leaves no timer behind, whichever way a request ends', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { handle } = recordingHandler();
    const port = await listen(createServer(createTwilioWebhookListener(handle, { maxBodyBytes: 1_024 })));
    const endings: [string, string, (exchange: RawExchange) => void][] = [
      ['complete', halfSentRequest('close') + SECOND_HALF, () => {}],
      [
        'over the limit, chunked',
        `POST /twilio/status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n${'a'.repeat(0x800)}\r\n`,
        () => {},
      ],
      ['abandoned by the client', halfSentRequest(), (exchange) => exchange.socket.destroy()],
      ['timed out', halfSentRequest(), () => vi.advanceTimersByTime(10_000)],
    ];
    const timersLeft: [string, number][] = [];
    for (const [why, text, then] of endings) {
      const exchange = await sendRaw(port, text);
      await until(() => vi.getTimerCount() > 0 || exchange.socket.closed);
      then(exchange);
      await exchange.closed;
      await sleep(20);
      timersLeft.push([why, vi.getTimerCount()]);
    }
    expect(timersLeft).toEqual(endings.map(([why]) => [why, 0]));
  });

  it.each([0, 15_001, 1.5, Number.NaN])('refuses a deadline of %s ms', (bodyReadTimeoutMs) => {
    expect(() =>
      createTwilioWebhookListener(async () => ({ status: 200, contentType: 'text/plain', body: '' }), {
        bodyReadTimeoutMs,
      }),
    ).toThrow(VoiceMfaError);
  });
});

describe('the webhook server', () => {
  const provider = () =>
    new TwilioVoiceProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, publicBaseUrl: PUBLIC_BASE_URL });

  it('closes a connection whose headers trickle in, at the header deadline', async () => {
    const port = await listen(
      createTwilioWebhookServer(provider(), { headersTimeoutMs: 500, requestTimeoutMs: 2_000 }),
    );
    const exchange = await sendRaw(port, 'POST /twilio/status HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const trickle = setInterval(() => {
      if (!exchange.socket.closed) exchange.socket.write(`X-Slow-${Math.floor(performance.now())}: 1\r\n`);
    }, 100);
    const { reply, afterMs } = await exchange.closed;
    clearInterval(trickle);
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(afterMs).toBeGreaterThanOrEqual(495);
    // Node checks the deadline every fifth of it (100 ms here).
    expect(afterMs).toBeLessThan(500 + 100 + MARGIN_MS);
  });

  it('sets deadlines that fit Twilio’s 15 s by default', () => {
    const server = createTwilioWebhookServer(provider());
    expect([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout]).toEqual([5_000, 10_000, 5_000]);
  });

  it('closes connections over maxConnections as soon as they are accepted, and takes new ones once others closed', async () => {
    const server = createTwilioWebhookServer(provider(), { maxConnections: 2 });
    const port = await listen(server);
    const open = () => {
      const socket = connect(port, '127.0.0.1');
      return new Promise<Socket>((resolve) => socket.once('connect', () => resolve(socket)));
    };
    const held = [await open(), await open()];
    // Idle connections the server has accepted (it counts them once accepted, not at the client's connect).
    await vi.waitFor(async () => {
      const count = await new Promise<number>((resolve) => server.getConnections((_, n) => resolve(n)));
      expect(count).toBe(2);
    });
    // A third is closed unanswered, whatever it sends.
    const third = await sendRaw(port, 'POST /twilio/status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n');
    expect((await third.closed).reply).toBe('');
    held[0]?.destroy();
    await vi.waitFor(async () => {
      const count = await new Promise<number>((resolve) => server.getConnections((_, n) => resolve(n)));
      expect(count).toBe(1);
    });
    const request = 'GET /twilio/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
    const { reply: answered } = await (await sendRaw(port, request)).closed;
    expect(answered).toMatch(/^HTTP\/1\.1 4\d\d /);
    held[1]?.destroy();
  });

  it('passes the body deadline on to its listener', async () => {
    const { handled, handle } = recordingHandler();
    const port = await listen(createTwilioWebhookServer(handle, { bodyReadTimeoutMs: 300 }));
    const { reply, afterMs } = await (await sendRaw(port, halfSentRequest())).closed;
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(afterMs).toBeLessThan(300 + MARGIN_MS);
    expect(handled).toEqual([]);
  });

  // A server given `maxBodyBytes: undefined` (a host passing its own config on) keeps the provider's limit too.
  it.each([
    ['no options', {}],
    ['maxBodyBytes left undefined', { maxBodyBytes: undefined }],
  ])(
    'uses the provider’s own listener, which reads bodies up to the provider’s maxBodyBytes (%s)',
    async (_name, options) => {
      const large = new TwilioVoiceProvider({
        accountSid: ACCOUNT_SID,
        authToken: AUTH_TOKEN,
        publicBaseUrl: PUBLIC_BASE_URL,
        maxBodyBytes: 256 * 1024,
      });
      const port = await listen(createTwilioWebhookServer(large, options));
      const body = `${FORM}&Padding=${'x'.repeat(100 * 1024)}`;
      const response = await fetch(`http://127.0.0.1:${port}/twilio/status?t=${randomToken()}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      // Read in full (a listener with the default 64 KiB limit would answer 413), then refused as unsigned.
      expect([response.status, await response.text()]).toEqual([400, 'Missing X-Twilio-Signature']);
    },
  );

  it.each([
    { headersTimeoutMs: 0 },
    { requestTimeoutMs: 20_000 },
    { headersTimeoutMs: 6_000, requestTimeoutMs: 5_000 },
    { keepAliveTimeoutMs: -1 },
    { maxConnections: 0 },
    { maxConnections: 1.5 },
    // The listener's own options, passed on: a body limit that is no number would let any body through.
    { maxBodyBytes: Number.NaN },
    { maxBodyBytes: -1 },
    { maxBodyBytes: 'x' as unknown as number },
    { bodyReadTimeoutMs: 0 },
  ])('refuses %j', (options) => {
    expect(() => createTwilioWebhookServer(provider(), options)).toThrow(VoiceMfaError);
  });
});
