/**
 * Two voice-mfa instances on one SQLite file; one is killed (SIGKILL) while
 * its call is up, and the verification finishes on the other. No account and
 * no network beyond 127.0.0.1:
 *
 *   npx tsx examples/two-instances.ts
 *
 * This process plays the phone network (the simulated carrier). Each instance
 * is a child process running the durable service on the same file; it reaches
 * the network over HTTP through a durable provider written in a few lines
 * below, and the network delivers each call event to whichever instance is up,
 * as a load balancer would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  type AuditEntry,
  createVerificationService,
  type DurableVoiceProvider,
  type JsonValue,
  maskPhoneNumber,
  type ProviderEvent,
  SimulatedCarrier,
  systemClock,
  type VerificationResult,
} from 'voice-mfa';
import { SqliteVerificationStore } from 'voice-mfa/sqlite';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

// ── An instance: the durable service on the shared SQLite file ──────────────

async function runInstance(name: string, databasePath: string, networkUrl: string): Promise<void> {
  const store = new SqliteVerificationStore({ path: databasePath });
  await store.migrate();
  // A durable provider: its state is data (none here), its effects are requests to the network.
  const network: DurableVoiceProvider<JsonValue, ProviderEvent> = {
    name: 'simulated-over-http',
    capabilities: {
      reportsPromptEnd: true,
      enforcesInputTimeout: false,
      machineDetection: false,
      reportsSitKinds: true,
    },
    initialState: () => null,
    receive: (state, event) => ({ state, events: [event] }),
    plan: (state, commands) => ({
      state,
      effects: commands.map((command) =>
        command.type === 'dial'
          ? { delivery: 'at-most-once', dialAttempt: command.attempt, payload: command as unknown as JsonValue }
          : { delivery: 'at-least-once', payload: command as unknown as JsonValue },
      ),
      answer: null,
      bindings: [],
    }),
    run: async (effect, { verificationId }) => {
      const response = await post(`${networkUrl}/effects`, { verificationId, effect });
      if (!response.ok) throw new Error(`the network refused an effect: ${response.status}`);
      return [];
    },
  };
  const service = createVerificationService({
    store,
    provider: network,
    instanceId: name,
    sweepIntervalMs: 200,
    maskNumbers: true,
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reply = (body: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    readJson(req)
      .then(async (body) => {
        if (url.pathname === '/events') {
          await service.deliverEvent(String(body.verificationId), body.event as ProviderEvent);
          return reply({});
        }
        if (url.pathname === '/start')
          return reply(await service.start({ targets: [PRIMARY, BACKUP], timing: { inputTimeoutMs: 3_000 } }));
        if (url.pathname === '/result')
          return reply({ result: await service.getResult(url.searchParams.get('id') ?? '') });
        if (url.pathname === '/audit') {
          // The log a page at a time, as an exporter reads it: each page goes on from where the one before ended.
          const verificationId = url.searchParams.get('id') ?? '';
          const audit: AuditEntry[] = [];
          for (let after: string | undefined; ; ) {
            const page = await store.readAuditPage({ verificationId, after, limit: 5 });
            audit.push(...page.entries);
            after = page.next;
            if (page.entries.length < 5) break;
          }
          return reply({ audit });
        }
        res.writeHead(404).end();
      })
      .catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
}

// ── The network, and the story ─────────────────────────────────────────────

interface Instance {
  name: string;
  url: string;
  child: ChildProcess;
  alive: boolean;
}

async function startInstance(name: string, databasePath: string, networkUrl: string): Promise<Instance> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), 'instance', name, databasePath, networkUrl],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) =>
      resolve(JSON.parse(line).port),
    );
    child.once('exit', (code) => reject(new Error(`instance ${name} exited with ${code}`)));
  });
  return { name, url: `http://127.0.0.1:${port}`, child, alive: true };
}

export async function main(print: (line: string) => void = console.log): Promise<VerificationResult> {
  const dir = await mkdtemp(join(tmpdir(), 'voice-mfa-two-instances-'));
  const databasePath = join(dir, 'verifications.db');
  const carrier = new SimulatedCarrier({
    clock: systemClock,
    numbers: {
      [PRIMARY]: { kind: 'voicemail', answerAfterMs: 500 },
      [BACKUP]: { kind: 'answers', answerAfterMs: 500, responses: [{ press: '#', afterMs: 500 }] },
    },
    timing: { postDialDelayMs: 300, speech: { msPerWord: 60, segmentPauseMs: 0, recordingMs: 500 } },
  });
  const instances: Instance[] = [];
  let turn = 0;
  // The load balancer: each event to the next instance that answers.
  carrier.connect(async (verificationId, event) => {
    for (let tries = 0; tries < instances.length; tries++) {
      const instance = instances[turn++ % instances.length];
      if (instance === undefined || !instance.alive) continue;
      try {
        await post(`${instance.url}/events`, { verificationId, event });
        return;
      } catch {
        // That instance is gone; the next one takes it.
      }
    }
  });
  const network = createServer((req, res) => {
    readJson(req)
      .then(async (body) => {
        await carrier.run(body.effect as never, { verificationId: String(body.verificationId) });
        res.writeHead(200).end('{}');
      })
      .catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => network.listen(0, '127.0.0.1', resolve));
  const networkUrl = `http://127.0.0.1:${(network.address() as AddressInfo).port}`;
  try {
    instances.push(
      await startInstance('a', databasePath, networkUrl),
      await startInstance('b', databasePath, networkUrl),
    );
    print(
      `two instances on ${databasePath}: a (pid ${instances[0]?.child.pid}) and b (pid ${instances[1]?.child.pid})`,
    );
    const [a, b] = instances as [Instance, Instance];
    const { verificationId } = (await (await post(`${a.url}/start`, {})).json()) as { verificationId: string };
    print(
      `a started verification ${verificationId}: primary ${maskPhoneNumber(PRIMARY)}, backup ${maskPhoneNumber(BACKUP)}`,
    );
    while (carrier.calls[0]?.answeredAt === null || carrier.calls[0] === undefined)
      await new Promise((r) => setTimeout(r, 20));
    a.child.kill('SIGKILL');
    a.alive = false;
    print(`the primary's voicemail answered; a was killed (SIGKILL) with the call up`);

    let result: VerificationResult | null = null;
    while (result === null) {
      await new Promise((r) => setTimeout(r, 100));
      result = (
        (await (await fetch(`${b.url}/result?id=${verificationId}`)).json()) as { result: VerificationResult | null }
      ).result;
    }
    const { audit } = (await (await fetch(`${b.url}/audit?id=${verificationId}`)).json()) as { audit: AuditEntry[] };
    const t0 = audit[0]?.at ?? 0;
    for (const row of audit) {
      const what = row.kind === 'attempt' ? `#${row.attempt} ${row.what} (${row.legacyCode})` : row.what;
      print(`  ${row.instance}  t=${((row.at - t0) / 1000).toFixed(1)}s  ${row.kind.padEnd(7)} ${what}`);
    }
    print(
      `b finished it: ${result.status} (${result.reason}); attempts ${result.attempts.map((x) => x.result).join(', ')}`,
    );
    return result;
  } finally {
    for (const instance of instances) instance.child.kill('SIGKILL');
    carrier.hangUpAll();
    network.closeAllConnections();
    network.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'instance') {
  const [, , , name, databasePath, networkUrl] = process.argv;
  await runInstance(name ?? 'instance', databasePath ?? '', networkUrl ?? '');
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}
