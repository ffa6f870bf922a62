/**
 * Work run one piece at a time per key, in the order it was asked for: the
 * in-process half of a store's locking (the memory store's whole lock; the
 * SQLite store's guard around its one writing connection).
 *
 * @module
 */

/** Queues of asynchronous work, one per key; an idle key holds nothing. */
export class WorkQueues {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier piece of work on `key`, whether that succeeded or failed. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once everything queued so far has finished. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}
