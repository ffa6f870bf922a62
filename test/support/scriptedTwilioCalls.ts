/**
 * A Twilio calls API whose replies the test hands out one by one: each create
 * waits until the test resolves or rejects it, updates are recorded and may be
 * held or refused.
 */
import { expect, vi } from 'vitest';
import type { VoiceMfaError } from '../../src/errors.js';
import {
  type TwilioCallCreateParams,
  type TwilioCallsApi,
  type TwilioCallUpdateParams,
  TwilioVoiceProvider,
  type TwilioVoiceProviderOptions,
} from '../../src/providers/twilio/index.js';
import { ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, toSignedRequest } from './twilioFake.js';
import { parseXml, type XmlElement } from './xml.js';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class ScriptedCalls implements TwilioCallsApi {
  readonly creates: { params: TwilioCallCreateParams; reply: Deferred<{ sid: string }> }[] = [];
  readonly updates: { callSid: string; params: TwilioCallUpdateParams }[] = [];
  /** The next this many updates are refused as Twilio refuses an update of a call that is not in progress. */
  failUpdates = 0;
  /** While set, every update is refused with it. */
  refusal: Error | null = null;
  /** While set, updates wait for it. */
  holdUpdates: Deferred<void> | null = null;

  create(params: TwilioCallCreateParams): Promise<{ sid: string }> {
    const reply = deferred<{ sid: string }>();
    this.creates.push({ params, reply });
    return reply.promise;
  }

  async update(callSid: string, params: TwilioCallUpdateParams): Promise<unknown> {
    this.updates.push({ callSid, params });
    await this.holdUpdates?.promise;
    if (this.refusal !== null) throw this.refusal;
    if (this.failUpdates > 0) {
      this.failUpdates -= 1;
      throw Object.assign(new Error('Call is not in-progress. Cannot redirect.'), { status: 400, code: 21220 });
    }
    return { sid: callSid };
  }

  /** The updates sent for one call. */
  updatesOf(callSid: string): TwilioCallUpdateParams[] {
    return this.updates.filter((u) => u.callSid === callSid).map((u) => u.params);
  }
}

/**
 * A Twilio provider on scripted calls, the errors it reports, and a way to
 * send it a webhook signed as Twilio signs it (answered 200, its TwiML parsed).
 */
export function scriptedTwilio(calls: ScriptedCalls, options: Partial<TwilioVoiceProviderOptions> = {}) {
  const errors: VoiceMfaError[] = [];
  const provider = new TwilioVoiceProvider({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    publicBaseUrl: PUBLIC_BASE_URL,
    defaultCallerId: '+14255550000',
    calls,
    onError: (error) => errors.push(error),
    ...options,
  });
  const webhook = async (url: string, params: Record<string, string>): Promise<XmlElement> => {
    const response = await provider.handleWebhook(toSignedRequest(url, { AccountSid: ACCOUNT_SID, ...params }));
    expect(response.status).toBe(200);
    return parseXml(response.body);
  };
  return { provider, errors, webhook };
}

/** The first call the provider asked to create, once it did. */
export async function firstCreate(calls: ScriptedCalls) {
  await vi.waitFor(() => expect(calls.creates).toHaveLength(1));
  const [first] = calls.creates;
  if (first === undefined) throw new Error('no create');
  return first;
}
