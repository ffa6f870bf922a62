/**
 * The load generator of the webhook benchmark, in a worker thread of its own
 * so that it does not share the server's event loop: sends prepared requests
 * to 127.0.0.1 with a fixed number in flight and returns each one's latency.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadJob {
  port: number;
  concurrency: number;
  requests: LoadRequest[];
  /** Return each response's body, in the order of `requests`. */
  keepBodies?: boolean;
}

/** Latency in ms of each request, and the statuses that were not 200. */
export interface LoadReport {
  latenciesMs: number[];
  failures: string[];
  /** With `keepBodies`: each response's body, in the order of the requests. */
  bodies?: string[];
}

async function send(
  agent: Agent,
  port: number,
  job: LoadRequest,
  keepBody: boolean,
): Promise<{ ms: number; status: number; body: string }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: job.path, headers: job.headers, agent },
      (res) => {
        let body = '';
        if (keepBody) res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        else res.resume();
        res.on('end', () => resolve({ ms: performance.now() - start, status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(job.body);
  });
}

async function run({ port, concurrency, requests, keepBodies = false }: LoadJob): Promise<LoadReport> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  const bodies: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < requests.length) {
      const index = next++;
      const job = requests[index] as LoadRequest;
      try {
        const { ms, status, body } = await send(agent, port, job, keepBodies);
        latenciesMs.push(ms);
        if (keepBodies) bodies[index] = body;
        if (status !== 200) failures.push(`${status} ${job.path}`);
      } catch (error) {
        failures.push(`${(error as Error).message} ${job.path}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  agent.destroy();
  return keepBodies ? { latenciesMs, failures, bodies } : { latenciesMs, failures };
}

if (parentPort !== null) {
  const port = parentPort;
  run(workerData as LoadJob).then((report) => port.postMessage(report));
}
