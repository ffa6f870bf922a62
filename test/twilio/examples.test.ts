/**
 * The Twilio examples: without credentials they explain what to set and exit
 * 0; the sandbox example's path with credentials runs here against a fake of
 * the API that plays the magic numbers (and against Prism in prismRest.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runLiveExample } from '../../examples/twilio-live.js';
import { runSandboxExample, SANDBOX_CALLER_ID, SANDBOX_TARGETS } from '../../examples/twilio-sandbox.js';
import { ACCOUNT_SID, AUTH_TOKEN, FakeTwilioRestClient } from '../support/twilioFake.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('examples/twilio-sandbox.ts', () => {
  it('without credentials says what to set and exits 0', async () => {
    const lines: string[] = [];
    expect(await runSandboxExample({ env: {}, print: (line) => lines.push(line) })).toBe(0);
    expect(lines.join('\n')).toMatch(/TWILIO_TEST_ACCOUNT_SID[\s\S]*TWILIO_TEST_AUTH_TOKEN[\s\S]*place no real call/);
  });

  it('runs as written: npx tsx examples/twilio-sandbox.ts', () => {
    const env = { ...process.env };
    delete env.TWILIO_TEST_ACCOUNT_SID;
    delete env.TWILIO_TEST_AUTH_TOKEN;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/twilio-sandbox.ts'], {
      cwd: REPO_ROOT,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('TWILIO_TEST_ACCOUNT_SID');
  }, 60_000);

  it('with credentials: 21217, 21214, then a call that no callback ever reports', async () => {
    const api = new FakeTwilioRestClient();
    api.errorsByTo.set('+15005550001', {
      status: 400,
      code: 21217,
      message: 'Phone number is not a valid phone number',
    });
    api.errorsByTo.set('+15005550002', { status: 400, code: 21214, message: "'To' phone number cannot be reached" });
    const lines: string[] = [];
    const exitCode = await runSandboxExample({
      env: { TWILIO_TEST_ACCOUNT_SID: ACCOUNT_SID, TWILIO_TEST_AUTH_TOKEN: AUTH_TOKEN },
      httpClient: api,
      // Creates are paced at one a second: the third waits about a second for its slot, and
      // may wait until half of the dial bound (the other half is for ringing) has passed.
      dialTimeoutMs: 6_000,
      print: (line) => lines.push(line),
    });
    expect(exitCode).toBe(0);
    expect(lines.filter((line) => line.startsWith('attempt'))).toEqual([
      'attempt 1: +1 500 ••• 0001 → invalid-number (Twilio error 21217), no call created',
      'attempt 2: +1 500 ••• 0002 → failed (Twilio error 21214), no call created',
      expect.stringMatching(/^attempt 3: \+1 500 ••• 0006 → failed \(dial timeout\), call CA[0-9a-f]{32}$/),
    ]);
    expect(lines.at(-1)).toBe('verification: unreachable (no-targets-left)');
    expect(api.creates().map((c) => [c.data.To, c.data.From])).toEqual(
      SANDBOX_TARGETS.map((to) => [to, SANDBOX_CALLER_ID]),
    );
  }, 30_000);
});

describe('examples/twilio-live.ts', () => {
  it('without credentials explains what to set and exits 0', async () => {
    const lines: string[] = [];
    expect(await runLiveExample({ env: { TWILIO_ACCOUNT_SID: ACCOUNT_SID }, print: (line) => lines.push(line) })).toBe(
      0,
    );
    expect(lines.at(-1)).toBe('Missing: TWILIO_AUTH_TOKEN, TWILIO_CALLER_ID, VOICE_MFA_PUBLIC_URL, VERIFY_TO');
    expect(lines.join('\n')).toContain('docs/twilio.md');
  });
});
