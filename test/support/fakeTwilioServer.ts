/**
 * Twilio's REST API for calls, served over HTTP on 127.0.0.1, for instance
 * processes whose twilio-node client is pointed at it: creating a call answers
 * 201 with a fresh CallSid, updating one 200. Every request is recorded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCOUNT_SID, newCallSid, type RecordedRestRequest } from './twilioFake.js';

export interface FakeTwilioServer {
  /** Base URL to send `https://api.twilio.com` requests to. */
  url: string;
  requests: RecordedRestRequest[];
  creates(): RecordedRestRequest[];
  updates(): RecordedRestRequest[];
  /** Resolves once `count` create requests arrived. */
  waitForCreates(count: number, timeoutMs?: number): Promise<RecordedRestRequest[]>;
  close(): Promise<void>;
}

function readForm(body: string): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const previous = data[name];
    data[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return data;
}

export async function startFakeTwilioServer(): Promise<FakeTwilioServer> {
  const requests: RecordedRestRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const recorded: RecordedRestRequest = {
        method: (req.method ?? '').toLowerCase(),
        uri: `https://api.twilio.com${path}`,
        data: readForm(Buffer.concat(chunks).toString('utf8')),
      };
      const reply = (status: number, body: unknown) => {
        recorded.status = status;
        requests.push(recorded);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method === 'POST' && /\/Accounts\/AC[0-9a-f]{32}\/Calls\.json$/.test(path)) {
        recorded.sid = newCallSid();
        reply(201, { sid: recorded.sid, status: 'queued', to: recorded.data.To, account_sid: ACCOUNT_SID });
        return;
      }
      const update = /\/Calls\/(CA[0-9a-f]{32})\.json$/.exec(path);
      if (req.method === 'POST' && update !== null) {
        reply(200, { sid: update[1], status: recorded.data.Status ?? 'in-progress', account_sid: ACCOUNT_SID });
        return;
      }
      reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const creates = () => requests.filter((r) => r.uri.endsWith('/Calls.json'));
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    creates,
    updates: () => requests.filter((r) => /\/Calls\/CA[0-9a-f]{32}\.json$/.test(r.uri)),
    async waitForCreates(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (creates().length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} create requests, got ${creates().length}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return creates();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
