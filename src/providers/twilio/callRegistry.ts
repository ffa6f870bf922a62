/**
 * Where verifications live between webhooks: which session a CallSid, a dial
 * token or a verification id belongs to.
 *
 * @module
 */
import type { TwilioCallWebhook } from './callWebhook.js';

/**
 * A value or a promise of it: a durable registry may answer asynchronously.
 *
 * @example
 * ```ts
 * const lookup: MaybePromise<string | undefined> = cache.get(callSid) ?? redis.get(`call:${callSid}`);
 * ```
 */
export type MaybePromise<T> = T | Promise<T>;

/**
 * What the webhook handler needs of a session: it answers a call's webhook with TwiML.
 *
 * @example
 * ```ts
 * registry.register('v-1', { handleCallWebhook: async (webhook) => '<Response/>' });
 * ```
 */
export interface TwilioWebhookTarget {
  /** Handles one validated webhook of one of the session's calls and returns the TwiML to answer with. */
  handleCallWebhook(webhook: TwilioCallWebhook): Promise<string>;
}

/**
 * Finds the session of a webhook. The in-memory registry is the default; a
 * durable one (for several processes behind a load balancer) would store the
 * bindings, which are strings only, and resolve a verification id to a session
 * it restores.
 *
 * A session registers itself when it opens, binds each call's dial token before
 * the call is created and its CallSid as soon as it knows it (the REST reply or
 * the call's first webhook), and unregisters when it closes. Webhooks are found
 * by their dial token first, then by their CallSid.
 *
 * @example
 * ```ts
 * // The bindings in Redis, shared by every process; the sessions are those this process
 * // has open (or restores). A binding outlives its verification until its key expires.
 * class RedisCallRegistry implements TwilioCallRegistry {
 *   private readonly sessions = new Map<string, TwilioWebhookTarget>();
 *   register(verificationId: string, session: TwilioWebhookTarget) { this.sessions.set(verificationId, session); }
 *   unregister(verificationId: string) { this.sessions.delete(verificationId); }
 *   async bindDialToken(token: string, verificationId: string) { await redis.set(`token:${token}`, verificationId, 'EX', 3600); }
 *   async bindCall(callSid: string, verificationId: string) { await redis.set(`call:${callSid}`, verificationId, 'EX', 3600); }
 *   findByVerificationId(verificationId: string) { return this.sessions.get(verificationId); }
 *   async findByDialToken(token: string) { return this.sessionOf(await redis.get(`token:${token}`)); }
 *   async findByCallSid(callSid: string) { return this.sessionOf(await redis.get(`call:${callSid}`)); }
 *   private sessionOf(id: string | null) { return id === null ? undefined : this.sessions.get(id); }
 * }
 * ```
 */
export interface TwilioCallRegistry {
  /** Keeps the session of a verification. */
  register(verificationId: string, session: TwilioWebhookTarget): MaybePromise<void>;
  /** Forgets a verification, its dial tokens and its CallSids. */
  unregister(verificationId: string): MaybePromise<void>;
  /** Records the dial token of a call about to be created. */
  bindDialToken(token: string, verificationId: string): MaybePromise<void>;
  /** Records the CallSid Twilio gave a call, as soon as its session knows it. */
  bindCall(callSid: string, verificationId: string): MaybePromise<void>;
  /** The session of a verification. */
  findByVerificationId(verificationId: string): MaybePromise<TwilioWebhookTarget | undefined>;
  /** The session a CallSid was bound to. */
  findByCallSid(callSid: string): MaybePromise<TwilioWebhookTarget | undefined>;
  /** The session a dial token was bound to (every webhook URL carries one). */
  findByDialToken(token: string): MaybePromise<TwilioWebhookTarget | undefined>;
}

/**
 * The default registry: maps in process memory.
 *
 * @example
 * ```ts
 * const registry = new InMemoryTwilioCallRegistry();
 * const provider = new TwilioVoiceProvider({ ...credentials, publicBaseUrl, registry });
 * registry.size; // live verifications
 * ```
 */
export class InMemoryTwilioCallRegistry implements TwilioCallRegistry {
  private readonly sessions = new Map<string, TwilioWebhookTarget>();
  private readonly calls = new Map<string, string>();
  private readonly tokens = new Map<string, string>();
  // The CallSids and dial tokens bound to each live verification, so that
  // unregistering one costs its own bindings, not a scan of every live call.
  private readonly bindings = new Map<string, { calls: Set<string>; tokens: Set<string> }>();

  /** Number of registered verifications. */
  get size(): number {
    return this.sessions.size;
  }

  register(verificationId: string, session: TwilioWebhookTarget): void {
    this.sessions.set(verificationId, session);
    if (!this.bindings.has(verificationId)) this.bindings.set(verificationId, { calls: new Set(), tokens: new Set() });
  }

  unregister(verificationId: string): void {
    this.sessions.delete(verificationId);
    const bound = this.bindings.get(verificationId);
    if (bound === undefined) return;
    this.bindings.delete(verificationId);
    for (const callSid of bound.calls) this.calls.delete(callSid);
    for (const token of bound.tokens) this.tokens.delete(token);
  }

  bindDialToken(token: string, verificationId: string): void {
    this.bind(this.tokens, 'tokens', token, verificationId);
  }

  bindCall(callSid: string, verificationId: string): void {
    this.bind(this.calls, 'calls', callSid, verificationId);
  }

  findByVerificationId(verificationId: string): TwilioWebhookTarget | undefined {
    return this.sessions.get(verificationId);
  }

  findByCallSid(callSid: string): TwilioWebhookTarget | undefined {
    const id = this.calls.get(callSid);
    return id === undefined ? undefined : this.sessions.get(id);
  }

  findByDialToken(token: string): TwilioWebhookTarget | undefined {
    const id = this.tokens.get(token);
    return id === undefined ? undefined : this.sessions.get(id);
  }

  /** Binds `key` to a registered verification, moving it from the one it was bound to before. */
  private bind(map: Map<string, string>, kind: 'calls' | 'tokens', key: string, verificationId: string): void {
    const bound = this.bindings.get(verificationId);
    if (bound === undefined) return;
    const previous = map.get(key);
    if (previous !== undefined && previous !== verificationId) this.bindings.get(previous)?.[kind].delete(key);
    map.set(key, verificationId);
    bound[kind].add(key);
  }
}
