/**
 * The parent's side of `storeWorker.ts`: real OS processes on one store,
 * started, told to go, asked for reports, stopped or killed.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ParentMessage, WorkerMessage, WorkerTask } from './storeWorker.js';

const WORKER = fileURLToPath(new URL('./storeWorker.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One worker process. */
export class StoreProcess {
  private readonly inbox: WorkerMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private ended = false;
  /** Resolves with the exit code, or the signal that ended the process. */
  readonly exited: Promise<number | NodeJS.Signals>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: WorkerMessage) => {
      this.inbox.push(message);
      this.wakeWaiters();
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.ended = true;
        this.wakeWaiters();
        resolve(signal ?? code ?? 0);
      }),
    );
  }

  /** Starts a worker and waits until it is ready to go. */
  static async start(task: WorkerTask): Promise<StoreProcess> {
    const child = fork(WORKER, [JSON.stringify(task)], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker = new StoreProcess(child);
    await worker.next('ready');
    return worker;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  send(message: ParentMessage): void {
    this.child.send(message);
  }

  /** The next message of `type`; rejects if the process ends first. */
  async next<T extends WorkerMessage['type']>(type: T): Promise<Extract<WorkerMessage, { type: T }>> {
    for (;;) {
      const index = this.inbox.findIndex((message) => message.type === type);
      if (index >= 0) return this.inbox.splice(index, 1)[0] as Extract<WorkerMessage, { type: T }>;
      if (this.ended) throw new Error(`the worker ${this.pid} ended before sending ${type}`);
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  private wakeWaiters(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiting) wake();
  }

  /** How many commits the worker made between `from` and `to` (epoch ms), and in all. */
  async report(from: number, to: number): Promise<{ steps: number; total: number }> {
    this.send({ type: 'report', from, to });
    return this.next('report');
  }

  kill(): Promise<number | NodeJS.Signals> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}
