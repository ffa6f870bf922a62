/**
 * Real processes on one store (SQLite file, PostgreSQL database): instances
 * that share the work, one killed with SIGKILL mid-call, webhooks that land on
 * any of them, the same webhook sent to both at once, a crash right after a
 * commit, a clock jump, and an instance whose clock is behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { VerificationResult } from '../../src/machine/outcomes.js';
import { DIAL_INTERRUPTED } from '../../src/service/verificationService.js';
import { type FakeTwilioServer, startFakeTwilioServer } from '../support/fakeTwilioServer.js';
import { uniqueSchemaName } from '../support/postgresSuite.js';
import { FakeCall, spoken, TwilioWebhookSender, verb } from '../support/twilioFake.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(REPO_ROOT, 'test/support/instanceProcess.ts');
const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';
const THIRD = '+14255550142';

interface Instance {
  name: string;
  baseUrl: string;
  process: ChildProcess;
  control<T>(path: string, body?: unknown): Promise<T>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const running: Instance[] = [];

async function spawnInstance(
  name: string,
  store: string,
  rest: FakeTwilioServer,
  extra: Record<string, string> = {},
): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    cwd: REPO_ROOT,
    env: { ...process.env, STORE: store, TWILIO_REST_URL: rest.url, INSTANCE_ID: name, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`instance ${name} exited (${code}): ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  const instance: Instance = {
    name,
    baseUrl: `${base}/hooks`,
    process: child,
    async control(path, body) {
      const response = await fetch(`${base}/control/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const parsed = (await response.json()) as { error?: string };
      if (response.status !== 200) throw new Error(parsed.error ?? `HTTP ${response.status}`);
      return parsed as never;
    },
    async kill() {
      running.splice(running.indexOf(instance), 1);
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      running.splice(running.indexOf(instance), 1);
      child.kill('SIGTERM');
      await exited;
    },
  };
  running.push(instance);
  return instance;
}

/** Each webhook to the next instance still running, as a round-robin load balancer would. */
class BalancedSender extends TwilioWebhookSender {
  private next = 0;
  constructor() {
    super('http://unused');
  }
  override toLocalUrl(publicUrl: string): string {
    const instance = running[this.next++ % running.length];
    if (instance === undefined) throw new Error('no instance runs');
    return instance.baseUrl + publicUrl.slice(this.publicBaseUrl.length);
  }
}

async function waitForResult(instance: Instance, id: string, timeoutMs = 20_000): Promise<VerificationResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { result } = await instance.control<{ result: VerificationResult | null }>(`result?id=${id}`);
    if (result !== null) return result;
    if (Date.now() > deadline) throw new Error(`verification ${id} has not ended`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function callOf(rest: FakeTwilioServer, sender: TwilioWebhookSender, n: number): Promise<FakeCall> {
  const create = (await rest.waitForCreates(n))[n - 1];
  if (create === undefined) throw new Error(`no create ${n}`);
  return new FakeCall(sender, create);
}

interface StoreUnderTest {
  name: string;
  /** Why it is skipped, or `null`. */
  skip: () => string | null;
  /** A fresh, empty store for one test. */
  fresh: () => Promise<string>;
  /** Whether a test can move the store's clock forward (SQLite: the host's clock, offset per process). */
  movableClock: boolean;
}

let workDir = '';
let counter = 0;
const postgres = inject('voiceMfaPostgres');

const STORES: StoreUnderTest[] = [
  {
    name: 'SQLite (one file, several processes)',
    skip: () => null,
    fresh: async () => `sqlite:${join(workDir, `v${++counter}.db`)}`,
    movableClock: true,
  },
  {
    name: 'PostgreSQL (many instances)',
    skip: () => postgres.skipReason,
    // A schema of its own per test (the instances create it); the server is shared.
    fresh: async () => `postgres:${postgres.url}#${uniqueSchemaName()}`,
    movableClock: false,
  },
];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'voice-mfa-processes-'));
});
afterEach(async () => {
  for (const instance of [...running]) await instance.kill();
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe.each(STORES)('$name', (store) => {
  const when = (name: string, test: () => Promise<void>) => (store.skip() === null ? it : it.skip)(name, test, 60_000);
  let rest: FakeTwilioServer;
  beforeAll(async () => {
    rest = await startFakeTwilioServer();
  });
  afterAll(async () => {
    await rest.close();
  });

  when(
    'two processes share the work; one is killed mid-call and the other finishes its verification, its deadline firing there once',
    async () => {
      const spec = await store.fresh();
      const a = await spawnInstance('a', spec, rest);
      const b = await spawnInstance('b', spec, rest);
      const sender = new BalancedSender();
      const before = rest.creates().length;
      const { verificationId } = await a.control<{ verificationId: string }>('start', {
        request: {
          targets: [PRIMARY, BACKUP],
          // The watchdog leaves a busy machine time to kill `a` before it fires.
          timing: { inputTimeoutMs: 1_000, promptWatchdogMs: 3_000, providerTimeoutGraceMs: 0 },
        },
      });
      const first = await callOf(rest, sender, before + 1);
      await first.status('ringing');
      const greeting = await first.answer();
      expect(spoken(verb(greeting, 'Gather')).join(' ')).toMatch(/pound key/i);
      await a.kill();

      // Voicemail: the Gather's timeout report never comes; the deadlines fire on b, which hangs up and dials the backup.
      const second = await callOf(rest, sender, before + 2);
      expect(second.to).toBe(BACKUP);
      const backupGreeting = await second.answer();
      const farewell = await second.press(backupGreeting, '#');
      expect(verb(farewell, 'Hangup')).toBeDefined();
      const result = await waitForResult(b, verificationId);
      expect(result.status).toBe('approved');
      expect(result.attempts.map((attempt) => attempt.result)).toEqual(['no-response', 'approved']);
      const hangUps = rest.updates().filter((u) => u.uri.includes(first.sid));
      expect(hangUps.map((u) => u.data.Status)).toEqual(['completed']);
      // Each deadline fired once, on b, where the sweep found it.
      const { audit } = await b.control<{ audit: { what: string; instance: string }[] }>(`audit?id=${verificationId}`);
      const deadlines = audit.filter((row) => row.what.startsWith('deadline'));
      expect(deadlines.map((row) => [row.what, row.instance])).toEqual([
        ['deadline (watchdog)', 'b'],
        ['deadline (input)', 'b'],
      ]);
    },
  );

  when('the same webhook sent to both at once is applied once; two different ones are both applied', async () => {
    const spec = await store.fresh();
    const a = await spawnInstance('a', spec, rest);
    const b = await spawnInstance('b', spec, rest);
    const sender = new BalancedSender();
    const before = rest.creates().length;
    const { verificationId } = await a.control<{ verificationId: string }>('start', {
      request: { targets: [PRIMARY], answeringMachineDetection: true },
    });
    const call = await callOf(rest, sender, before + 1);
    const toA = new TwilioWebhookSender(a.baseUrl);
    const toB = new TwilioWebhookSender(b.baseUrl);
    const url = String(call.create.data.StatusCallback);
    const ringing = call.statusParams('ringing');
    // The same callback to both at once: applied once.
    await Promise.all([toA.post(url, ringing), toB.post(url, ringing)]);
    // Two different ones at once (the answer, the detector's verdict): both applied.
    const amdUrl = String(call.create.data.AsyncAmdStatusCallback);
    const amd = { ...call.statusParams('in-progress'), AnsweredBy: 'human' };
    await Promise.all([toA.post(url, call.statusParams('in-progress')), toB.post(amdUrl, amd)]);
    const greeting = await call.requestTwiml(String(call.create.data.Url));
    const [gatherUrl, params] = call.gatherRequest(greeting, '#');
    const [one, two] = await Promise.all([toA.post(gatherUrl, params), toB.post(gatherUrl, params)]);
    expect(one.body).toBe(two.body);
    const result = await waitForResult(b, verificationId);
    expect(result.status).toBe('approved');
    expect(result.attempts[0]?.keysPressed).toBe(1);
    expect(result.attempts[0]?.answeredBy).toBe('human');
    const { audit } = await b.control<{ audit: { what: string }[] }>(`audit?id=${verificationId}`);
    const inputs = audit.map((row) => row.what);
    expect(inputs.filter((what) => what === 'call.ringing')).toHaveLength(1);
    expect(inputs.filter((what) => what === 'call.answered')).toHaveLength(1);
    expect(inputs.filter((what) => what === 'call.answeredBy')).toHaveLength(1);
    expect(inputs.filter((what) => what.startsWith('call.digits'))).toHaveLength(1);
  });

  when(
    'a crash right after a commit: the hang-up is carried out once by the other process, the dial never',
    async () => {
      const spec = await store.fresh();
      const a = await spawnInstance('a', spec, rest, { DIE_AFTER_COMMIT: 'hangUp' });
      const sender = new BalancedSender();
      const before = rest.creates().length;
      const { verificationId } = await a.control<{ verificationId: string }>('start', {
        request: {
          targets: [PRIMARY, BACKUP, THIRD],
          timing: { inputTimeoutMs: 1_000, providerTimeoutGraceMs: 0, promptWatchdogMs: 1_000 },
        },
      });
      const first = await callOf(rest, sender, before + 1);
      const greeting = await first.answer();
      const exited = new Promise<void>((resolve) => a.process.once('exit', () => resolve()));
      // Voicemail: the machine's own deadlines run out on a, which hangs the call up by REST and dials the
      // backup in one step — and dies right after committing it, before carrying out either.
      expect(verb(greeting, 'Gather')).toBeDefined();
      await exited;
      running.splice(running.indexOf(a), 1);
      expect(rest.updates().filter((u) => u.uri.includes(first.sid))).toEqual([]);
      const b = await spawnInstance('b', spec, rest);

      const third = await callOf(rest, sender, before + 2);
      expect(third.to).toBe(THIRD);
      await third.answer().then((twiml) => third.press(twiml, '#'));
      const result = await waitForResult(b, verificationId);
      expect(result.attempts.map((attempt) => [attempt.result, attempt.providerCode])).toEqual([
        ['no-response', null],
        ['failed', DIAL_INTERRUPTED],
        ['approved', null],
      ]);
      expect(
        rest
          .creates()
          .slice(before)
          .map((c) => c.data.To),
      ).toEqual([PRIMARY, THIRD]);
      expect(
        rest
          .updates()
          .filter((u) => u.uri.includes(first.sid))
          .map((u) => u.data.Status),
      ).toEqual(['completed']);
    },
  );

  // PostgreSQL's clock is the server's, which a test cannot move; the replay itself is the same code on
  // every store (and is tested on the memory store's virtual clock too).
  if (store.movableClock)
    when(
      'a clock jump forward while nothing ran: the deadlines replay in order and the verification expires as interrupted',
      async () => {
        const spec = await store.fresh();
        const a = await spawnInstance('a', spec, rest);
        const sender = new BalancedSender();
        const before = rest.creates().length;
        const { verificationId } = await a.control<{ verificationId: string }>('start', {
          request: { targets: [PRIMARY, BACKUP], timing: { ringTimeoutMs: 20_000 } },
        });
        const call = await callOf(rest, sender, before + 1);
        expect((await call.status('ringing')).status).toBe(200);
        await eventually(async () => {
          const { audit } = await a.control<{ audit: { what: string }[] }>(`audit?id=${verificationId}`);
          expect(audit.map((row) => row.what)).toContain('call.ringing');
        });
        await a.kill();
        // Ten minutes later, by the store's clock.
        const b = await spawnInstance('b', spec, rest, { STORE_CLOCK_OFFSET_MS: '600000' });
        const result = await waitForResult(b, verificationId);
        expect(result.status).toBe('expired');
        expect(result.reason).toBe('service-interrupted');
        expect(result.attempts.map((attempt) => attempt.result)).toEqual(['no-answer', 'canceled']);
        expect(rest.creates().slice(before)).toHaveLength(1);
      },
    );

  when('an instance whose clock is 60 s behind does not delay deadlines', async () => {
    const spec = await store.fresh();
    const a = await spawnInstance('a', spec, rest, { LOCAL_CLOCK_OFFSET_MS: '-60000' });
    const sender = new BalancedSender();
    const before = rest.creates().length;
    const startedAt = Date.now();
    const { verificationId } = await a.control<{ verificationId: string }>('start', {
      request: { targets: [PRIMARY], timing: { ringTimeoutMs: 1_000 } },
    });
    const call = await callOf(rest, sender, before + 1);
    expect((await call.status('ringing')).status).toBe(200);
    const result = await waitForResult(a, verificationId);
    expect(result.status).toBe('unreachable');
    expect(result.attempts[0]).toMatchObject({ result: 'no-answer', timedOut: 'ring' });
    const [attempt] = result.attempts;
    expect((attempt?.times.endedAt ?? 0) - (attempt?.times.ringingAt ?? 0)).toBe(1_000);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });
});
