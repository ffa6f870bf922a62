/**
 * Durable verifications on Twilio with several instances behind a load
 * balancer: each instance is a service with its own Twilio provider and
 * webhook server on one store. Webhooks land on any instance; an instance that
 * stops leaves its verifications to the others.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeAttemptResult } from '../../src/machine/outcomes.js';
import { type TwilioMediaStreamEndpoint, TwilioVoiceProvider } from '../../src/providers/twilio/index.js';
import { createVerificationService, type VerificationService } from '../../src/service/verificationService.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import { SqliteVerificationStore } from '../../src/store/sqlite/index.js';
import type { VerificationStore } from '../../src/store/types.js';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  FakeCall,
  FakeTwilioRestClient,
  PUBLIC_BASE_URL,
  spoken,
  TwilioWebhookSender,
  verb,
} from '../support/twilioFake.js';
import { interceptAudio, streamOf, TwilioStream } from '../support/twilioMediaStream.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

interface Instance {
  name: string;
  service: VerificationService;
  provider: TwilioVoiceProvider;
  server: Server;
  baseUrl: string;
  errors: unknown[];
  /** The Media Streams endpoint, when the instance listens to calls. */
  streams: TwilioMediaStreamEndpoint | null;
  stop(): Promise<void>;
}

/** Sends each webhook to the next instance still up, as a round-robin load balancer would. */
class BalancedSender extends TwilioWebhookSender {
  private next = 0;
  constructor(private readonly instances: () => Instance[]) {
    super('http://unused');
  }

  override toLocalUrl(publicUrl: string): string {
    const up = this.instances();
    const instance = up[this.next++ % up.length];
    if (instance === undefined) throw new Error('no instance is up');
    return instance.baseUrl + publicUrl.slice(this.publicBaseUrl.length);
  }
}

const live: Instance[] = [];

async function startInstance(
  name: string,
  store: VerificationStore,
  rest: FakeTwilioRestClient,
  options: { mediaStreams?: boolean; verifyPin?: (entry: string) => boolean } = {},
): Promise<Instance> {
  const errors: unknown[] = [];
  const provider = new TwilioVoiceProvider({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    publicBaseUrl: PUBLIC_BASE_URL,
    defaultCallerId: '+14255550000',
    httpClient: rest,
    onError: (error) => errors.push(error),
    ...(options.mediaStreams === true ? { mediaStreams: {} } : {}),
  });
  const service = createVerificationService({
    store,
    provider,
    instanceId: name,
    sweepIntervalMs: 50,
    orphanAfterMs: 500,
    onError: (error) => errors.push(error),
    ...(options.verifyPin === undefined ? {} : { verifyPin: options.verifyPin }),
  });
  provider.connect(service);
  const server = createServer(provider.createWebhookListener());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const streams = options.mediaStreams === true ? await provider.listenForMediaStreams(server) : null;
  const instance: Instance = {
    name,
    service,
    provider,
    server,
    baseUrl: `http://127.0.0.1:${port}/hooks`,
    errors,
    streams,
    async stop() {
      live.splice(live.indexOf(instance), 1);
      await streams?.close();
      await service.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
  live.push(instance);
  return instance;
}

afterEach(async () => {
  for (const instance of [...live]) await instance.stop();
});

async function callOf(rest: FakeTwilioRestClient, sender: TwilioWebhookSender, n: number): Promise<FakeCall> {
  const create = (await rest.waitForCreates(n, 10_000))[n - 1];
  if (create === undefined) throw new Error(`no create ${n}`);
  return new FakeCall(sender, create);
}

describe('durable verifications on Twilio, several instances', () => {
  it('any instance answers any webhook: ringing, the greeting, # and the end land on alternating instances', async () => {
    const store = new MemoryVerificationStore();
    const rest = new FakeTwilioRestClient();
    const a = await startInstance('a', store, rest);
    const b = await startInstance('b', store, rest);
    const sender = new BalancedSender(() => live);
    const { verificationId } = await a.service.start({ targets: [PRIMARY, BACKUP] });

    const call = await callOf(rest, sender, 1);
    expect((await call.status('ringing')).status).toBe(200);
    const greeting = await call.answer();
    expect(spoken(verb(greeting, 'Gather')).join(' ')).toMatch(/press the pound key/i);
    const farewell = await call.press(greeting, '#');
    expect(spoken(farewell)).toEqual(['Thank you. Your verification is complete. Goodbye.']);
    expect(verb(farewell, 'Hangup')).toBeDefined();
    await call.status('completed');

    const result = await b.service.waitForResult(verificationId, { timeoutMs: 5_000 });
    expect(result.status).toBe('approved');
    expect(result.attempts[0]?.callId).toBe(call.sid);
    const instances = new Set((await store.readAudit({ verificationId })).map((row) => row.instance));
    expect([...instances].sort()).toEqual(['a', 'b']);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('an instance that stops mid-call leaves the verification to the other: its deadline fires there and the backup is dialled from there', async () => {
    const store = new MemoryVerificationStore();
    const rest = new FakeTwilioRestClient();
    const a = await startInstance('a', store, rest);
    const b = await startInstance('b', store, rest);
    const sender = new BalancedSender(() => live);
    const { verificationId } = await a.service.start({
      targets: [PRIMARY, BACKUP],
      // The watchdog leaves a busy machine time to stop `a` before it fires.
      timing: { inputTimeoutMs: 1_000, providerTimeoutGraceMs: 0, promptWatchdogMs: 3_000 },
    });
    const first = await callOf(rest, sender, 1);
    const greeting = await first.answer();
    expect(verb(greeting, 'Gather').attributes.timeout).toBe('1');
    await a.stop();

    // Voicemail: Twilio's Gather times out and never reports it (the Redirect is lost); the machine's own
    // deadlines (the prompt's watchdog, then the input timer) fire on the instance still up, which hangs
    // the call up and dials the backup.
    const second = await callOf(rest, sender, 2);
    expect(second.to).toBe(BACKUP);
    expect(rest.updates().map((u) => [u.uri.includes(first.sid), u.data.Status])).toContainEqual([true, 'completed']);
    const backupGreeting = await second.answer();
    await second.press(backupGreeting, '#');
    const result = await b.service.waitForResult(verificationId, { timeoutMs: 5_000 });
    expect(result.status).toBe('approved');
    expect(result.attempts.map((attempt) => attempt.result)).toEqual(['no-response', 'approved']);
    const audit = await store.readAudit({ verificationId });
    expect(audit.find((row) => row.what === 'deadline (input)')?.instance).toBe('b');
  });

  it('a Media Stream lands on one instance, the greeting was served by the other: the intercept tones it hears end the attempt through the store, and the backup is dialled', async () => {
    const store = new MemoryVerificationStore();
    const rest = new FakeTwilioRestClient();
    const a = await startInstance('a', store, rest, { mediaStreams: true });
    const b = await startInstance('b', store, rest, { mediaStreams: true });
    const { verificationId } = await a.service.start({ targets: [PRIMARY, BACKUP] });
    const toA = new TwilioWebhookSender(a.baseUrl);
    const first = await callOf(rest, toA, 1);
    expect((await first.status('ringing')).status).toBe(200);
    const greeting = await first.answer();
    const stream = await TwilioStream.open(b.server);
    stream.connected();
    stream.start(first.sid, streamOf(greeting).parameters);
    await stream.media(interceptAudio());
    const second = await callOf(rest, toA, 2);
    expect(second.to).toBe(BACKUP);
    expect(rest.updates().map((u) => [u.uri.includes(first.sid), u.data.Status])).toEqual([[true, 'completed']]);
    stream.stop(first.sid);
    await second.press(await second.answer(), '#');
    const result = await a.service.waitForResult(verificationId, { timeoutMs: 5_000 });
    expect(result.attempts.map((attempt) => describeAttemptResult(attempt))).toEqual(['sit:intercept', 'approved']);
    const audit = await store.readAudit({ verificationId });
    expect(audit.find((row) => row.what.startsWith('call.progressTone'))?.instance).toBe('b');
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('the same webhook sent to both instances at once is applied once; two different ones are both applied', async () => {
    const store = new MemoryVerificationStore();
    const rest = new FakeTwilioRestClient();
    const a = await startInstance('a', store, rest);
    const b = await startInstance('b', store, rest);
    const sender = new BalancedSender(() => live);
    const { verificationId } = await a.service.start({ targets: [PRIMARY] });
    const call = await callOf(rest, sender, 1);
    const ringing = call.statusParams('ringing');
    const url = String(call.create.data.StatusCallback);
    const toA = new TwilioWebhookSender(a.baseUrl);
    const toB = new TwilioWebhookSender(b.baseUrl);
    const replies = await Promise.all([toA.post(url, ringing), toB.post(url, ringing)]);
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    const greeting = await call.answer();
    const [gatherUrl, gatherParams] = call.gatherRequest(greeting, '#');
    const [one, two] = await Promise.all([toA.post(gatherUrl, gatherParams), toB.post(gatherUrl, gatherParams)]);
    // Both get the same answer: the second is a retry of the first.
    expect(one.body).toBe(two.body);

    const result = await a.service.waitForResult(verificationId, { timeoutMs: 5_000 });
    expect(result.status).toBe('approved');
    expect(result.attempts[0]?.keysPressed).toBe(1);
    const audit = await store.readAudit({ verificationId });
    expect(audit.filter((row) => row.what === 'call.ringing')).toHaveLength(1);
    expect(audit.filter((row) => row.what.startsWith('call.digits'))).toHaveLength(1);
  });

  it('# and a hang-up in either order on two instances: the completed callback on one, the late action on the other, approved; a retried action changes nothing', async () => {
    const store = new MemoryVerificationStore();
    const rest = new FakeTwilioRestClient();
    const a = await startInstance('a', store, rest);
    const b = await startInstance('b', store, rest);
    const { verificationId } = await a.service.start({ targets: [PRIMARY], timing: { endingGraceMs: 2_000 } });
    const call = await callOf(rest, new TwilioWebhookSender(a.baseUrl), 1);
    const greeting = await call.answer();
    const toA = new TwilioWebhookSender(a.baseUrl);
    const toB = new TwilioWebhookSender(b.baseUrl);
    expect((await toA.post(String(call.create.data.StatusCallback), call.statusParams('completed'))).status).toBe(200);
    const [gatherUrl, gatherParams] = call.gatherRequest(greeting, '#');
    const late = await toB.post(gatherUrl, gatherParams);
    const retry = await toA.post(gatherUrl, gatherParams);
    expect(retry.body).toBe(late.body);
    const result = await b.service.waitForResult(verificationId, { timeoutMs: 5_000 });
    expect(result).toMatchObject({ status: 'approved', reason: 'pound-key' });
    expect(result.attempts[0]?.keysPressed).toBe(1);
  });

  it('a hang-up with no key on a durable verification is a denial once the grace has passed', async () => {
    const store = new MemoryVerificationStore();
    const rest = new FakeTwilioRestClient();
    const a = await startInstance('a', store, rest);
    const { verificationId } = await a.service.start({ targets: [PRIMARY, BACKUP], timing: { endingGraceMs: 300 } });
    const call = await callOf(rest, new TwilioWebhookSender(a.baseUrl), 1);
    await call.answer();
    expect((await call.status('completed')).status).toBe(200);
    const result = await a.service.waitForResult(verificationId, { timeoutMs: 5_000 });
    expect(result).toMatchObject({ status: 'denied', reason: 'hung-up' });
    expect(rest.creates()).toHaveLength(1);
  });
});

describe('the audit log of webhooks', () => {
  const rowsOf = async (store: MemoryVerificationStore, verificationId: string) =>
    (await store.readAudit({ verificationId })).map((row) => [row.kind, row.what, row.reason]);

  it('records a signed webhook that reports nothing, and why it was ignored: another call on the token, a callback after the end', async () => {
    const store = new MemoryVerificationStore();
    const rest = new FakeTwilioRestClient();
    const a = await startInstance('a', store, rest);
    const { verificationId } = await a.service.start({ targets: [PRIMARY] });
    const sender = new TwilioWebhookSender(a.baseUrl);
    const call = await callOf(rest, sender, 1);
    const greeting = await call.answer();
    const otherCall = { CallSid: `CA${'f'.repeat(32)}` };
    const statusUrl = String(call.create.data.StatusCallback);
    expect((await sender.post(statusUrl, { ...call.statusParams('completed'), ...otherCall })).body).toContain(
      '<Response/>',
    );
    const [gatherUrl, gatherParams] = call.gatherRequest(greeting, '#');
    expect((await sender.post(gatherUrl, { ...gatherParams, ...otherCall })).body).toContain('<Hangup/>');
    expect(await a.service.getResult(verificationId)).toBeNull();
    await call.press(greeting, '#');
    expect((await a.service.waitForResult(verificationId, { timeoutMs: 5_000 })).status).toBe('approved');
    expect((await call.status('completed')).status).toBe(200);
    expect(await rowsOf(store, verificationId)).toEqual([
      ['input', 'start', null],
      ['input', 'call.dialed', null],
      ['input', 'call.answered', null],
      // Twilio asks for the greeting: nothing to report, the answer was reported by the status callback.
      ['input', 'webhook answer', null],
      ['input', 'webhook status', 'stale'],
      ['input', 'webhook gather', 'stale'],
      ['input', 'call.digits (1 key)', null],
      ['attempt', 'approved', null],
      ['final', 'approved', 'pound-key'],
      ['input', 'webhook status', 'after the end'],
    ]);
    expect(a.errors).toEqual([]);
  });

  it('keeps no typed PIN on disk: neither a wrong one nor the right one is in the SQLite files, the audit log counts keys', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'voice-mfa-pin-on-disk-'));
    const store = new SqliteVerificationStore({ path: join(directory, 'verifications.db') });
    await store.migrate();
    try {
      const rest = new FakeTwilioRestClient();
      // Seven digits from 7 to 9: no id, count or clock reading of the run holds such a run of digits.
      const a = await startInstance('a', store, rest, { verifyPin: (entry) => entry === '7984379' });
      const { verificationId } = await a.service.start({ targets: [PRIMARY], mode: 'pin' });
      const call = await callOf(rest, new TwilioWebhookSender(a.baseUrl), 1);
      const reprompt = await call.press(await call.answer(), '8897978#');
      await call.press(reprompt, '7984379#');
      expect((await a.service.waitForResult(verificationId, { timeoutMs: 5_000 })).status).toBe('approved');
      const audit = await store.readAudit({ verificationId });
      expect(audit.filter((row) => row.what.startsWith('call.digits')).map((row) => row.what)).toEqual([
        'call.digits (8 keys)',
        'call.digits (8 keys)',
      ]);
      await a.stop();
      await store.close();
      for (const file of await readdir(directory)) {
        const bytes = await readFile(join(directory, file), 'latin1');
        expect({ file, wrong: bytes.includes('8897978'), right: bytes.includes('7984379') }).toEqual({
          file,
          wrong: false,
          right: false,
        });
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
