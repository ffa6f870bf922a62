import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs an example exactly as its header says: with tsx, from the repository root. */
async function runExample(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', `examples/${name}`], {
    cwd: root,
    timeout: 60_000,
    env: { ...process.env, TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '' },
  });
  return stdout;
}

describe('examples run as written', () => {
  it('simulated-login.ts: voicemail then a wrong and a right PIN on the backup; the cool-down refuses a second login', async () => {
    const output = await runExample('simulated-login.ts');
    expect(output).toContain('+1 425 ••• 0100: no-response');
    expect(output).toContain('+1 425 ••• 0101: approved');
    expect(output).toContain('status: approved (pin)');
    expect(output).toMatch(/refused: number-cooldown, retry in \d+ s/);
    expect(output).not.toContain('739164');
    expect(output).not.toMatch(/4255550\d{3}/);
  });

  it('custom-provider.ts: a hand-written provider approves', async () => {
    const output = await runExample('custom-provider.ts');
    expect(output).toContain('dialling the primary number');
    expect(output.trim().endsWith('status: approved')).toBe(true);
  });

  it('machine-only.ts: the machine driven by hand rolls over and approves', async () => {
    const output = await runExample('machine-only.ts');
    expect(output).toContain('status: approved; attempts: no-response, approved');
    expect(output.match(/command: dial/g)).toHaveLength(2);
  });

  it('two-instances.ts: one SQLite file, one instance killed with its call up, the other finishes the verification', async () => {
    const output = await runExample('two-instances.ts');
    expect(output).toContain('a was killed (SIGKILL) with the call up');
    expect(output).toMatch(/ {2}b {2}t=\d+\.\ds {2}input {3}deadline \(input\)/);
    expect(output).toMatch(/ {2}b {2}t=\d+\.\ds {2}attempt #0 no-response \(SUCCESS_NO_PIN_BUT_TIMEOUT\)/);
    expect(output.trim().endsWith('b finished it: approved (pound-key); attempts no-response, approved')).toBe(true);
    expect(output).not.toMatch(/4255550\d{3}/);
  });
}, 120_000);
