/**
 * Webhook latency under load on loopback: signed Twilio status callbacks and
 * Gather actions sent with a fixed number in flight to the real webhook
 * listener of a `TwilioVoiceProvider` (live verifications on the real clock,
 * a stand-in for Twilio's REST API), and the same requests to a bare
 * `node:http` server that reads the body and answers fixed TwiML, in turn.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import twilio from 'twilio';
import { runVerification, systemClock, VirtualClock } from '../src/index.js';
import { TwilioVoiceProvider } from '../src/providers/twilio/index.js';
import type { TwilioCallCreateParams } from '../src/providers/twilio/twilioCallsApi.js';
import { percentile } from './stats.js';
import type { LoadJob, LoadReport, LoadRequest } from './webhookClient.js';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'bench-auth-token-0123456789abcdef';
const PUBLIC_BASE_URL = 'https://verify.example.test/twilio';
const CALLER_ID = '+14255550000';
const FIXED_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>';

/**
 * One round: p99 latencies in ms, and the servers' thread busy per request in µs
 * (event-loop utilisation over the load), a steadier measure of what each server
 * does per request than a p99 that the load generator's own cost also sets.
 */
export interface WebhookRound {
  status: number;
  bareStatus: number;
  gather: number;
  bareGather: number;
  busyMicros: { status: number; bareStatus: number; gather: number; bareGather: number };
}

interface Measured {
  p99: number;
  busyMicros: number;
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

// Workers do not inherit tsx's loader on Node 20: the worker registers it, then loads the client.
const CLIENT_BOOTSTRAP = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(
  new URL('./webhookClient.ts', import.meta.url).href,
)}); });`;

async function load(job: LoadJob): Promise<LoadReport> {
  const worker = new Worker(CLIENT_BOOTSTRAP, { eval: true, workerData: job });
  const [report] = (await once(worker, 'message')) as [LoadReport];
  await worker.terminate();
  if (report.failures.length > 0) {
    throw new Error(
      `${report.failures.length} webhook requests failed, e.g. ${report.failures.slice(0, 3).join('; ')}`,
    );
  }
  return report;
}

/** Sends a load and measures it: its p99, and how busy this (the servers') thread was per request. */
async function measure(job: LoadJob): Promise<Measured> {
  const before = performance.eventLoopUtilization();
  const report = await load(job);
  const busy = performance.eventLoopUtilization(before);
  return { p99: percentile(report.latenciesMs, 0.99), busyMicros: (busy.active * 1000) / job.requests.length };
}

/** A request Twilio would send to `publicUrl`, signed, reaching the server under the same path. */
function signed(publicUrl: string, params: Record<string, string>): LoadRequest {
  return {
    path: publicUrl.slice(new URL(PUBLIC_BASE_URL).origin.length),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, publicUrl, params),
      'user-agent': 'TwilioProxy/1.1',
    },
    body: new URLSearchParams(params).toString(),
  };
}

const callParams = (sid: string, create: TwilioCallCreateParams): Record<string, string> => ({
  AccountSid: ACCOUNT_SID,
  ApiVersion: '2010-04-01',
  CallSid: sid,
  Called: create.to,
  Caller: create.from,
  Direction: 'outbound-api',
  From: create.from,
  To: create.to,
});

const unescapeXml = (text: string): string =>
  text.replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

/** Starts the two servers; `round` runs one interleaved round with `count` verifications. */
export async function startWebhookBench(concurrency: number): Promise<{
  round(count: number, bareFirst: boolean): Promise<WebhookRound>;
  close(): Promise<void>;
}> {
  const creates: { sid: string; params: TwilioCallCreateParams }[] = [];
  let createWaiter: (() => void) | null = null;
  let createsWanted = 0;
  const provider = new TwilioVoiceProvider({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    publicBaseUrl: PUBLIC_BASE_URL,
    defaultCallerId: CALLER_ID,
    calls: {
      async create(params) {
        const sid = `CA${(creates.length + 1).toString(16).padStart(32, '0')}`;
        creates.push({ sid, params });
        if (creates.length >= createsWanted) createWaiter?.();
        return { sid };
      },
      async update() {
        return {};
      },
    },
    // Pacing runs on virtual time, so that a round's calls are created at once.
    clock: new VirtualClock(),
    callsPerSecond: 100,
    maxQueuedDials: 10_000,
  });
  const real = createServer(provider.createWebhookListener());
  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      res.end(FIXED_TWIML);
    });
  });
  const realPort = await listen(real);
  const barePort = await listen(bare);

  const both = async (requests: LoadRequest[], bareFirst: boolean): Promise<[Measured, Measured]> => {
    const onReal = () => measure({ port: realPort, concurrency, requests });
    const onBare = () => measure({ port: barePort, concurrency, requests });
    if (bareFirst) {
      const bareMeasured = await onBare();
      return [await onReal(), bareMeasured];
    }
    const listenerMeasured = await onReal();
    return [listenerMeasured, await onBare()];
  };

  return {
    async round(count, bareFirst) {
      creates.length = 0;
      createsWanted = count;
      const created = new Promise<void>((resolve) => {
        createWaiter = resolve;
      });
      const runs = Array.from({ length: count }, (_, i) =>
        runVerification(
          { targets: [`+1425555${String(1000 + i).padStart(4, '0')}`] },
          { provider, clock: systemClock, maskNumbers: false },
        ),
      );
      await created;
      // Status callbacks: each call rings.
      const statusRequests = creates.map(({ sid, params }) =>
        signed(params.statusCallback, {
          ...callParams(sid, params),
          CallStatus: 'ringing',
          CallbackSource: 'call-progress-events',
          SequenceNumber: '0',
        }),
      );
      const [status, bareStatus] = await both(statusRequests, bareFirst);
      // Each call is answered (not measured); its TwiML holds the Gather's action.
      // From the load generator's thread too, so that the server's thread does no client work at any time.
      const answers = await load({
        port: realPort,
        concurrency,
        requests: creates.map(({ sid, params }) =>
          signed(params.statusCallback, {
            ...callParams(sid, params),
            CallStatus: 'in-progress',
            CallbackSource: 'call-progress-events',
            SequenceNumber: '1',
          }),
        ),
      });
      if (answers.latenciesMs.length !== count) throw new Error('not every call was answered');
      const answerTwiml = await load({
        port: realPort,
        concurrency,
        keepBodies: true,
        requests: creates.map(({ sid, params }) =>
          signed(params.url, { ...callParams(sid, params), CallStatus: 'in-progress' }),
        ),
      });
      const gatherRequests = creates.map(({ sid, params }, index) => {
        const twiml = answerTwiml.bodies?.[index] ?? '';
        const action = /<Gather [^>]*action="([^"]+)"/.exec(twiml)?.[1];
        if (action === undefined) throw new Error(`no Gather in the answer: ${twiml}`);
        return signed(unescapeXml(action), {
          ...callParams(sid, params),
          CallStatus: 'in-progress',
          Digits: '#',
          FinishedOnKey: '',
          msg: 'Gather End',
        });
      });
      const [gather, bareGather] = await both(gatherRequests, bareFirst);
      const results = await Promise.all(runs);
      const notApproved = results.filter((result) => result.status !== 'approved').length;
      if (notApproved > 0) throw new Error(`webhooks: ${notApproved} of ${count} verifications not approved`);
      return {
        status: status.p99,
        bareStatus: bareStatus.p99,
        gather: gather.p99,
        bareGather: bareGather.p99,
        busyMicros: {
          status: status.busyMicros,
          bareStatus: bareStatus.busyMicros,
          gather: gather.busyMicros,
          bareGather: bareGather.busyMicros,
        },
      };
    },
    async close() {
      real.closeAllConnections();
      bare.closeAllConnections();
      await Promise.all([new Promise((resolve) => real.close(resolve)), new Promise((resolve) => bare.close(resolve))]);
    },
  };
}
