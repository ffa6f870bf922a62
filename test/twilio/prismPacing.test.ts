/**
 * A burst of 60 verifications against the Prism-validated REST layer at the
 * default pacing: calls are created at most one per second, none ends
 * `no-answer` (or anything but approved) because of the queue, and every REST
 * request still validates against Twilio's specification.
 *
 * The real twilio-node client sends every create to Stoplight Prism on
 * 127.0.0.1; each created call rings, is answered and gets `#` through signed
 * webhooks to the provider's listener. Time is virtual: the provider, its
 * pacer and the runtime share a clock that the test moves to the next timer
 * only when no REST request is in flight and every call placed so far has
 * been answered — so the minute the burst spans in virtual time costs only the
 * I/O in real time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerificationResult } from '../../src/machine/outcomes.js';
import { TwilioVoiceProvider } from '../../src/providers/twilio/index.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import type { ProviderReportObservation } from '../../src/runtime/observations.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import { PRISM_SKIP_REASON, PrismRequestClient, type PrismServer, startPrism } from '../support/prism.js';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  FakeCall,
  PUBLIC_BASE_URL,
  type RecordedRestRequest,
  TwilioWebhookSender,
  verbNames,
} from '../support/twilioFake.js';

const BURST = 60;
const numberOf = (i: number): string => `+1425555${String(2000 + i)}`;

/** The Prism client, counting requests in flight and noting the virtual time each create was sent. */
class PacedPrismClient extends PrismRequestClient {
  inFlight = 0;
  readonly createdAt: number[] = [];

  constructor(
    prismUrl: string,
    private readonly clock: VirtualClock,
  ) {
    super(prismUrl);
  }

  override async request<TData>(opts: Parameters<PrismRequestClient['request']>[0] & { data?: TData }) {
    if (opts.uri.endsWith('/Calls.json')) this.createdAt.push(this.clock.now());
    this.inFlight += 1;
    try {
      return await super.request(opts);
    } finally {
      this.inFlight -= 1;
    }
  }
}

/** Waits, in real time, until `done()` holds; fails after `timeoutMs`. */
async function until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const skipReason = PRISM_SKIP_REASON;
if (skipReason !== null) {
  describe('a burst of verifications against Prism at the default pacing', () => {
    it.skip(skipReason, () => {});
  });
} else {
  describe('a burst of verifications against Prism at the default pacing', () => {
    let prism: PrismServer;
    let server: Server;

    beforeAll(async () => {
      prism = await startPrism();
    }, 120_000);

    afterAll(async () => {
      await new Promise<void>((resolve) => {
        server?.closeAllConnections();
        server ? server.close(() => resolve()) : resolve();
      });
      await prism?.stop();
    });

    it(`${BURST} verifications at once: creates 1 s apart, every one approved, every request valid`, async () => {
      const startedAt = Date.now();
      const clock = new VirtualClock({ autoAdvance: false });
      const http = new PacedPrismClient(prism.url, clock);
      const provider = new TwilioVoiceProvider({
        accountSid: ACCOUNT_SID,
        authToken: AUTH_TOKEN,
        publicBaseUrl: PUBLIC_BASE_URL,
        defaultCallerId: '+14255550000',
        httpClient: http,
        clock,
      });
      server = createServer(provider.createWebhookListener());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const sender = new TwilioWebhookSender(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`);

      const reports: ProviderReportObservation[] = [];
      const results: VerificationResult[] = [];
      const verifications = Array.from({ length: BURST }, (_, i) =>
        runVerification(
          { targets: [numberOf(i)] },
          {
            provider,
            clock,
            maskNumbers: false,
            onEvent: (o) => {
              if (o.type === 'provider.dialQueued' || o.type === 'provider.dialPlaced') reports.push(o);
            },
          },
        ).then((result) => results.push(result)),
      );

      const creates = () => http.exchanges.filter((e) => e.uri.endsWith('/Calls.json'));
      for (let placed = 1; placed <= BURST; placed++) {
        await until(() => http.createdAt.length === placed && http.inFlight === 0, `create ${placed}`);
        const exchange = creates()[placed - 1];
        if (exchange === undefined) throw new Error(`no create ${placed}`);
        expect(exchange.status).toBe(201);
        const create: RecordedRestRequest = { ...exchange, sid: String((exchange.body as { sid?: unknown }).sid) };
        const call = new FakeCall(sender, create);
        expect((await call.status('initiated')).status).toBe(200);
        expect((await call.status('ringing')).status).toBe(200);
        const greeting = await call.answer();
        expect(verbNames(await call.press(greeting, '#'))).toContain('Hangup');
        expect((await call.status('completed', { CallDuration: '6', SipResponseCode: '200' })).status).toBe(200);
        await until(() => results.length === placed, `verification ${placed} to end`);
        // Nothing else is due before the next dial's slot: move virtual time there.
        if (placed < BURST) expect(clock.fireNext()).toBe(true);
      }
      await Promise.all(verifications);
      const realMs = Date.now() - startedAt;

      const gaps = http.createdAt.slice(1).map((at, i) => at - (http.createdAt[i] as number));
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_000);
      expect(http.createdAt.at(-1)).toBe((BURST - 1) * 1_000);
      expect(results.map((r) => r.status)).toEqual(Array(BURST).fill('approved'));
      for (const result of results) {
        expect(result.attempts.map((a) => [a.result, a.providerCode, a.timedOut])).toEqual([['approved', null, null]]);
      }
      // Every REST request the provider made was a create, and Prism accepted each.
      expect(http.exchanges).toHaveLength(BURST);
      expect(http.refused()).toEqual([]);
      const queued = reports.filter((r) => r.type === 'provider.dialQueued');
      expect(queued).toHaveLength(BURST - 1);
      expect(Math.max(...queued.map((r) => r.queueLength))).toBe(BURST - 1);
      expect(Math.max(...reports.map((r) => r.waitMs))).toBe((BURST - 1) * 1_000);
      console.log(
        `${BURST} verifications: creates ${Math.min(...gaps)}–${Math.max(...gaps)} ms apart over ` +
          `${http.createdAt.at(-1)} ms of virtual time, in ${realMs} ms of real time`,
      );
    }, 180_000);
  });
}
