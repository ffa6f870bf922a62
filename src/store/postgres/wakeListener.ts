/**
 * LISTEN on a connection of its own, for commits of other instances that
 * bring work forward. A dropped connection is made again (with growing
 * pauses, up to 5 s); after a reconnection the store is woken once, since a
 * notification may have been sent while nobody listened.
 *
 * @module
 */
import pg from 'pg';

/** The channel every PostgreSQL store notifies on; the payload says which schema, and which store sent it. */
export const WAKE_CHANNEL = 'voice_mfa_wake';

/** What a notification carries. */
export interface WakePayload {
  schema: string;
  /** The store that committed: it wakes its own listeners without the server. */
  from: string;
}

const FIRST_PAUSE_MS = 100;
const LONGEST_PAUSE_MS = 5_000;

/** A listening connection that keeps itself open until stopped. */
export class WakeListener {
  private stopped = false;
  private client: pg.Client | null = null;
  private cancelPause: (() => void) | null = null;
  private readonly running: Promise<void>;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly schema: string,
    private readonly ownId: string,
    private readonly wake: () => void,
  ) {
    this.running = this.run();
  }

  /** Closes the connection and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelPause?.();
    await this.client?.end().catch(() => {});
    await this.running;
  }

  private async run(): Promise<void> {
    let pauseMs = FIRST_PAUSE_MS;
    let connectedBefore = false;
    while (!this.stopped) {
      const client = new pg.Client({
        ...this.config,
        keepAlive: true,
        application_name: `voice-mfa wake ${this.schema}`.slice(0, 63),
      });
      const closed = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      client.on('notification', (message) => this.hear(message));
      try {
        this.client = client;
        await client.connect();
        await client.query(`LISTEN ${WAKE_CHANNEL}`);
        pauseMs = FIRST_PAUSE_MS;
        if (connectedBefore) this.wake();
        connectedBefore = true;
        await closed;
      } catch {
        // Connecting failed: try again after a pause.
      } finally {
        this.client = null;
        await client.end().catch(() => {});
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pauseMs);
        this.cancelPause = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.cancelPause = null;
      pauseMs = Math.min(pauseMs * 2, LONGEST_PAUSE_MS);
    }
  }

  private hear(message: pg.Notification): void {
    if (message.channel !== WAKE_CHANNEL || message.payload === undefined) return;
    try {
      const payload = JSON.parse(message.payload) as WakePayload;
      if (payload.schema === this.schema && payload.from !== this.ownId) this.wake();
    } catch {
      // Not one of ours.
    }
  }
}
