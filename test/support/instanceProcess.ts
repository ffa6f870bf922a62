/**
 * One voice-mfa instance as its own OS process, for tests of several
 * instances on one store: the durable service with the Twilio provider (its
 * REST calls sent to a fake Twilio on 127.0.0.1), a webhook server, and a small
 * control API. Run with `node --import tsx test/support/instanceProcess.ts`.
 *
 * Environment:
 * - `STORE`: `sqlite:<file>` or `postgres:<connection string>[#<schema>]`;
 * - `TWILIO_REST_URL`: the fake Twilio's base URL;
 * - `INSTANCE_ID`: the name in the audit log;
 * - `DIE_AFTER_COMMIT`: `dial` or `hangUp` — the process kills itself (SIGKILL)
 *   right after committing a step with such an effect, before carrying it out;
 * - `STORE_CLOCK_OFFSET_MS` (SQLite): the store's clock runs this far ahead;
 * - `LOCAL_CLOCK_OFFSET_MS`: the instance's own clock (its timers) runs this far off.
 *
 * Prints one JSON line `{"ready":true,"port":N}` once it listens.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TwilioVoiceProvider } from '../../src/providers/twilio/index.js';
import { systemClock } from '../../src/runtime/clock.js';
import { createVerificationService } from '../../src/service/verificationService.js';
import type { StepWrite, VerificationStore } from '../../src/store/types.js';
import { PrismRequestClient } from './prism.js';
import { ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL } from './twilioFake.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
};

async function openStore(spec: string): Promise<VerificationStore> {
  if (spec.startsWith('sqlite:')) {
    const { SqliteVerificationStore } = await import('../../src/store/sqlite/index.js');
    const offset = Number(process.env.STORE_CLOCK_OFFSET_MS ?? 0);
    return new SqliteVerificationStore({
      path: spec.slice('sqlite:'.length),
      clock: { now: () => Date.now() + offset },
    });
  }
  if (spec.startsWith('postgres:')) {
    const { PostgresVerificationStore } = await import('../../src/store/postgres/index.js');
    const [connectionString, schema] = spec.slice('postgres:'.length).split('#');
    return new PostgresVerificationStore({ connectionString, ...(schema === undefined ? {} : { schema }) });
  }
  throw new Error(`unknown store ${spec}`);
}

/** The store, for a process that dies right after committing a step with the effect `dieAfter`. */
function dyingAfterCommit(store: VerificationStore, dieAfter: string | undefined): VerificationStore {
  if (dieAfter === undefined || dieAfter === '') return store;
  // The Twilio provider's effects are REST requests: a create places a call, an update with a status ends one.
  const marks: Record<string, readonly string[]> = {
    dial: ['"kind":"create"'],
    hangUp: ['"status":"completed"', '"status":"canceled"'],
  };
  const fatal = (write: StepWrite) =>
    write.outbox.some((entry) => (marks[dieAfter] ?? []).some((mark) => JSON.stringify(entry.payload).includes(mark)));
  const die = () => process.kill(process.pid, 'SIGKILL');
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'withVerification') {
        return async (id: string, key: string | null, step: Parameters<VerificationStore['withVerification']>[2]) => {
          let doomed = false;
          const value = await target.withVerification(id, key, async (locked) => {
            const outcome = await step(locked);
            doomed = outcome.write !== null && fatal(outcome.write);
            return outcome;
          });
          if (doomed) die();
          return value;
        };
      }
      if (property === 'create') {
        return async (write: StepWrite) => {
          await target.create(write);
          if (fatal(write)) die();
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function main(): Promise<void> {
  const store = dyingAfterCommit(await openStore(env('STORE')), process.env.DIE_AFTER_COMMIT);
  await store.migrate();
  const localOffset = Number(process.env.LOCAL_CLOCK_OFFSET_MS ?? 0);
  const errors: string[] = [];
  const provider = new TwilioVoiceProvider({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    publicBaseUrl: PUBLIC_BASE_URL,
    defaultCallerId: '+14255550000',
    httpClient: new PrismRequestClient(env('TWILIO_REST_URL')),
    onError: (error) => errors.push(String(error)),
  });
  const service = createVerificationService({
    store,
    provider,
    instanceId: env('INSTANCE_ID'),
    clock: { ...systemClock, now: () => Date.now() + localOffset },
    sweepIntervalMs: 100,
    orphanAfterMs: 1_000,
    effectLeaseMs: 2_000,
    onError: (error) => errors.push(String(error)),
  });
  provider.connect(service);
  const webhooks = provider.createWebhookListener();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (!url.pathname.startsWith('/control/')) {
      webhooks(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const id = url.searchParams.get('id') ?? '';
      const handle = async () => {
        switch (url.pathname) {
          case '/control/start':
            return json(200, await service.start(body.request, body.options ?? {}));
          case '/control/result':
            return json(200, { result: await service.getResult(id) });
          case '/control/cancel':
            await service.cancel(id);
            return json(200, {});
          case '/control/errors':
            return json(200, { errors });
          case '/control/audit':
            return json(200, { audit: await store.readAudit({ verificationId: id }) });
          default:
            return json(404, {});
        }
      };
      handle().catch((error: unknown) => json(500, { error: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ ready: true, port: (server.address() as AddressInfo).port })}\n`);
  process.on('SIGTERM', () => {
    void service.close().then(async () => {
      await store.close();
      server.closeAllConnections();
      server.close(() => process.exit(0));
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
