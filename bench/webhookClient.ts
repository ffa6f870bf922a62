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
}

/** Latency in ms of each request, and the statuses that were not 200. */
export interface LoadReport {
  latenciesMs: number[];
  failures: string[];
}

async function send(agent: Agent, port: number, job: LoadRequest): Promise<{ ms: number; status: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: job.path, headers: job.headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ ms: performance.now() - start, status: res.statusCode ?? 0 }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(job.body);
  });
}

async function run({ port, concurrency, requests }: LoadJob): Promise<LoadReport> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < requests.length) {
      const job = requests[next++] as LoadRequest;
      try {
        const { ms, status } = await send(agent, port, job);
        latenciesMs.push(ms);
        if (status !== 200) failures.push(`${status} ${job.path}`);
      } catch (error) {
        failures.push(`${(error as Error).message} ${job.path}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  agent.destroy();
  return { latenciesMs, failures };
}

if (parentPort !== null) {
  const port = parentPort;
  run(workerData as LoadJob).then((report) => port.postMessage(report));
}
