/**
 * A verification through Twilio with its test credentials (the "sandbox").
 *
 * Test credentials accept `POST /Calls` and answer with Twilio's magic numbers,
 * but they place no real call and fire no webhooks. So this example shows the
 * REST side only: the primary +15005550001 is refused as invalid (21217), the
 * backup +15005550002 as unreachable (21214), and the last backup +15005550006
 * is created — then, since no callback will ever come, not even a ring, the dial
 * bound (`dialTimeoutMs`) gives it up as `failed` (`timedOut: 'dial'`) and the
 * verification ends `unreachable`.
 *
 *   TWILIO_TEST_ACCOUNT_SID=AC… TWILIO_TEST_AUTH_TOKEN=… npx tsx examples/twilio-sandbox.ts
 *
 * Find the test credentials in the Twilio Console under Account › API keys &
 * tokens › Test credentials. See docs/twilio.md.
 */
import { pathToFileURL } from 'node:url';
import type twilio from 'twilio';
import { DEFAULT_REFUSED_TYPES, runVerification, type VerificationObservation } from 'voice-mfa';
import { TwilioVoiceProvider } from 'voice-mfa/twilio';

/**
 * The magic numbers: invalid (21217), unreachable (21214), and one that is created.
 *
 * @example
 * ```ts
 * await runVerification({ targets: SANDBOX_TARGETS }, { provider });
 * ```
 */
export const SANDBOX_TARGETS = ['+15005550001', '+15005550002', '+15005550006'];
/**
 * The magic From number that test credentials accept.
 *
 * @example
 * ```ts
 * new TwilioVoiceProvider({ ...testCredentials, publicBaseUrl, defaultCallerId: SANDBOX_CALLER_ID });
 * ```
 */
export const SANDBOX_CALLER_ID = '+15005550006';
/**
 * Test credentials fire no webhooks, so this URL is never called; Twilio only checks its form.
 *
 * @example
 * ```ts
 * new TwilioVoiceProvider({ ...testCredentials, publicBaseUrl: SANDBOX_PUBLIC_BASE_URL });
 * ```
 */
export const SANDBOX_PUBLIC_BASE_URL = 'https://example.com/voice-mfa/twilio';

/**
 * How the sandbox example runs.
 *
 * @example
 * ```ts
 * await runSandboxExample({ httpClient: new MockApiClient(), dialTimeoutMs: 6_000, print: (line) => lines.push(line) });
 * ```
 */
export interface SandboxExampleOptions {
  /** Where the credentials are read from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** twilio-node HTTP client, e.g. one pointing at a local mock of the API. */
  httpClient?: twilio.RequestClient;
  print?: (line: string) => void;
  /**
   * How long the created call may take before it is given up (its `dialTimeoutMs`): test
   * credentials report no ring, so this bound ends it. Default 10 s.
   */
  dialTimeoutMs?: number;
}

const USAGE = [
  'This example needs Twilio test credentials:',
  '  TWILIO_TEST_ACCOUNT_SID  the test Account SID (AC…)',
  '  TWILIO_TEST_AUTH_TOKEN   the test Auth Token',
  'Find them in the Twilio Console under Account › API keys & tokens › Test credentials.',
  'Test credentials cost nothing, place no real call and send no webhooks.',
];

function describeObservation(observation: VerificationObservation): string | null {
  if (observation.type === 'attempt.ended') {
    const { attempt } = observation;
    const code = attempt.providerCode === null ? '' : ` (Twilio error ${attempt.providerCode})`;
    const call = attempt.callId === null ? 'no call created' : `call ${attempt.callId}`;
    const timedOut = attempt.timedOut === null ? '' : ` (${attempt.timedOut} timeout)`;
    return `attempt ${attempt.index + 1}: ${attempt.target.input} → ${attempt.result}${code}${timedOut}, ${call}`;
  }
  if (observation.type === 'command.failed' && observation.command === 'hangUp') {
    return `  hanging up was refused (${observation.code ?? 'no code'}): test credentials only create calls`;
  }
  return null;
}

/**
 * Runs the sandbox verification and prints what happened. Returns the exit code.
 *
 * @example
 * ```ts
 * await runSandboxExample({ env: { TWILIO_TEST_ACCOUNT_SID: 'AC…', TWILIO_TEST_AUTH_TOKEN: '…' } });
 * ```
 */
export async function runSandboxExample(options: SandboxExampleOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const print = options.print ?? ((line: string) => console.log(line));
  const accountSid = env.TWILIO_TEST_ACCOUNT_SID;
  const authToken = env.TWILIO_TEST_AUTH_TOKEN;
  if (accountSid === undefined || accountSid === '' || authToken === undefined || authToken === '') {
    for (const line of USAGE) print(line);
    return 0;
  }
  const provider = new TwilioVoiceProvider({
    accountSid,
    authToken,
    publicBaseUrl: SANDBOX_PUBLIC_BASE_URL,
    defaultCallerId: SANDBOX_CALLER_ID,
    ...(options.httpClient === undefined ? {} : { httpClient: options.httpClient }),
  });
  const dialTimeoutMs = options.dialTimeoutMs ?? 10_000;
  print(`Verifying ${SANDBOX_TARGETS.join(', then ')} with Twilio test credentials.`);
  print('Test credentials place no real call and send no status callbacks or TwiML requests:');
  print(`the call that is created never reports a ring, so it is given up after ${dialTimeoutMs / 1000} s.`);
  const result = await runVerification(
    // Half of the bound for ringing (at least the shortest ring time, 1 s) leaves the other half
    // for the wait in the provider's pacing (one create a second): the third create may wait
    // for its slot behind the first two.
    { targets: SANDBOX_TARGETS, timing: { ringTimeoutMs: Math.max(1_000, dialTimeoutMs / 2), dialTimeoutMs } },
    {
      provider,
      // The magic numbers are in +1 500, a range of US personal numbers, which the default policy refuses
      // (toll fraud favours them). Allowed here for the sandbox only; a real deployment keeps the default.
      dialingPolicy: { refusedTypes: DEFAULT_REFUSED_TYPES.filter((type) => type !== 'PERSONAL_NUMBER') },
      onEvent: (observation) => {
        const line = describeObservation(observation);
        if (line !== null) print(line);
      },
    },
  );
  print(`verification: ${result.status} (${result.reason})`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runSandboxExample();
}
