/**
 * Stoplight Prism serving Twilio's OpenAPI spec on 127.0.0.1, and a twilio-node
 * HTTP client that sends the real client's requests there instead of
 * api.twilio.com. Prism runs with `--errors`, so a request that does not match
 * the spec is answered 422 with the reasons, and the tests fail on it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Where the spec is read from: `TWILIO_OPENAPI_SPEC`, else `../shared/reference/twilio_api_v2010.json` from the repository root. */
export const TWILIO_OPENAPI_SPEC =
  process.env.TWILIO_OPENAPI_SPEC ?? resolve(REPO_ROOT, '../shared/reference/twilio_api_v2010.json');

/** Why Prism tests are skipped, or `null` when they can run. */
export const PRISM_SKIP_REASON = existsSync(TWILIO_OPENAPI_SPEC)
  ? null
  : `Twilio's OpenAPI spec is not at ${TWILIO_OPENAPI_SPEC}: get spec/json/twilio_api_v2010.json from github.com/twilio/twilio-oai and put it there, or set TWILIO_OPENAPI_SPEC to its path.`;

const PRISM_CLI = resolve(REPO_ROOT, 'node_modules/@stoplight/prism-cli/dist/index.js');
const CALLS_PATH = '/2010-04-01/Accounts/{AccountSid}/Calls.json';
const CALLBACK_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];

/**
 * The one place the test copy of the spec differs from Twilio's: twilio-node
 * sends `StatusCallbackEvent` as a repeated form field
 * (`StatusCallbackEvent=initiated&StatusCallbackEvent=ringing…`), which is how
 * Twilio's API takes it, but Prism reads repeated form fields as one string and
 * rejects it with "must be array". The schema is widened to a string or an
 * array, each value still one of the four events.
 */
export function loosenSpecForPrism(spec: { paths: Record<string, unknown> }): void {
  const path = spec.paths[CALLS_PATH] as {
    post: {
      requestBody: { content: Record<string, { schema: { properties: Record<string, { description?: string }> } }> };
    };
  };
  const schema = path.post.requestBody.content['application/x-www-form-urlencoded']?.schema;
  if (schema === undefined) throw new Error('the spec has no form body for creating calls');
  const original = schema.properties.StatusCallbackEvent;
  schema.properties.StatusCallbackEvent = {
    description: original?.description,
    anyOf: [
      { type: 'string', enum: CALLBACK_EVENTS },
      { type: 'array', items: { type: 'string', enum: CALLBACK_EVENTS } },
    ],
  } as { description?: string };
}

/** Prism's line once it listens, with the address it took (`-p 0`: a free port the system picked). */
const LISTENING = /Prism is listening on (http:\/\/127\.0\.0\.1:\d+)/;

export interface PrismServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  process: ChildProcess;
  /** Milliseconds from spawn to "listening". */
  startupMs: number;
  stop(): Promise<void>;
}

/**
 * Starts Prism with a loosened copy of the spec; resolves once it listens. It
 * listens on port 0, so the system picks a free port and no other process can
 * take it between the pick and the listen (test files run in parallel).
 */
export async function startPrism(timeoutMs = 90_000): Promise<PrismServer> {
  const directory = await mkdtemp(join(tmpdir(), 'voice-mfa-prism-'));
  const spec = JSON.parse(await readFile(TWILIO_OPENAPI_SPEC, 'utf8')) as { paths: Record<string, unknown> };
  loosenSpecForPrism(spec);
  const specCopy = join(directory, 'twilio_api_v2010.json');
  await writeFile(specCopy, JSON.stringify(spec));
  const started = Date.now();
  const child = spawn(process.execPath, [PRISM_CLI, 'mock', specCopy, '-p', '0', '-h', '127.0.0.1', '--errors'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killTimer);
    }
    await rm(directory, { recursive: true, force: true });
  };
  let output = '';
  let url: string;
  try {
    url = await new Promise<string>((ready, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`Prism did not start within ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      );
      const onOutput = (chunk: Buffer): void => {
        output = (output + chunk.toString()).slice(-4_000);
        const listening = LISTENING.exec(output);
        if (listening !== null) {
          clearTimeout(timer);
          ready(listening[1] as string);
        }
      };
      child.stdout?.on('data', onOutput);
      child.stderr?.on('data', onOutput);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`Prism exited with ${code}:\n${output}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  // Keep draining its log so that the pipe never fills up.
  child.stdout?.resume();
  child.stderr?.resume();
  return { url, process: child, startupMs: Date.now() - started, stop };
}

type RequestOptions<TData> = Parameters<twilio.RequestClient['request']>[0] & { data?: TData };
type DeclaredResponse<TData> = Awaited<ReturnType<twilio.RequestClient['request']>> & { body: TData };

export interface PrismExchange {
  method: string;
  /** The URI twilio-node meant (api.twilio.com). */
  uri: string;
  data: Record<string, unknown>;
  status: number;
  body: unknown;
}

/** twilio-node's own RequestClient, with api.twilio.com rewritten to Prism; every exchange is recorded. */
export class PrismRequestClient extends twilio.RequestClient {
  readonly exchanges: PrismExchange[] = [];

  constructor(private readonly prismUrl: string) {
    super({ keepAlive: false });
  }

  override async request<TData>(opts: RequestOptions<TData>): Promise<DeclaredResponse<TData>> {
    const uri = opts.uri.replace(/^https:\/\/api\.twilio\.com/, this.prismUrl);
    const response = (await super.request({ ...opts, uri })) as DeclaredResponse<TData>;
    this.exchanges.push({
      method: opts.method,
      uri: opts.uri,
      data: { ...((opts.data as Record<string, unknown> | undefined) ?? {}) },
      status: response.statusCode,
      body: response.body,
    });
    return response;
  }

  /** Exchanges Prism refused (422 with validation errors, 401, 404 …). */
  refused(): PrismExchange[] {
    return this.exchanges.filter((exchange) => exchange.status >= 400);
  }
}
