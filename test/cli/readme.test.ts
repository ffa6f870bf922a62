import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { playScenario } from '../../src/cli/scenario.js';
import { SCENARIO_FIELDS } from '../../src/cli/scenarioFile.js';
import { DEMO_SCENARIOS } from '../../src/cli/scenarios.js';
import { formatTimeline } from '../../src/cli/timeline.js';

const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
const simulatorDoc = await readFile(new URL('../../docs/simulator.md', import.meta.url), 'utf8');

/** The words of a shell command line: single quotes group, nothing else is special in our docs. */
const shellWords = (line: string): string[] => [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');

function fencedBlock(language: string, startsWith: string): string {
  const blocks = [...readme.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1] ?? '');
  const block = blocks.find((b) => b.startsWith(startsWith));
  if (block === undefined) throw new Error(`README has no ${language} block starting with ${startsWith}`);
  return block.trimEnd();
}

describe('README stays true', () => {
  it('starts with npm ci, then the demo and the test command', () => {
    const quickStart = fencedBlock('sh', 'npm ci');
    expect(quickStart.split('\n').map((line) => line.split('#')[0]?.trim())).toEqual([
      'npm ci',
      'npm run demo',
      'npm test',
    ]);
  });

  it('shows the demo output of the seed story exactly as the demo prints it', async () => {
    const shown = fencedBlock('text', '▶ Voicemail answers');
    const scenario = DEMO_SCENARIOS.find((s) => shown.startsWith(`▶ ${s.name}`));
    if (scenario === undefined) throw new Error('the README shows a scenario the demo does not have');
    expect(shown).toBe(formatTimeline(await playScenario(scenario)));
  });

  it('shows the sequence diagram the first simulate command prints', async () => {
    const shown = fencedBlock('mermaid', 'sequenceDiagram');
    const command = readme.match(/npm run simulate -- (--target '[^']+' --target '[^']+')\n/)?.[1];
    if (command === undefined) throw new Error('the README has no simulate command with two targets');
    const argv = [...command.matchAll(/--target '([^']+)'/g)].flatMap((m) => ['--target', m[1] ?? '']);
    const printed: string[] = [];
    await main(['simulate', ...argv, '--format', 'mermaid'], {
      stdout: (text) => printed.push(text),
      stderr: () => {},
    });
    expect(printed.join('\n')).toContain(shown);
  });

  it('the README, docs/simulator.md and the simulate help list every field of a scenario file', async () => {
    const help: string[] = [];
    await main(['simulate', '--help'], { stdout: (t) => help.push(t), stderr: () => {} });
    // The field list as written: `{ name, request, … }` in the docs, `{ name, request, … }` over two lines in the help.
    const listed = (text: string): string[] =>
      (text.match(/\{ (name\??, request[^}]*)\}/)?.[1] ?? '')
        .split(',')
        .map((field) => field.trim().replace(/\?$/, ''));
    for (const text of [readme, simulatorDoc, help.join('\n').replace(/\n\s+/g, ' ')]) {
      expect(listed(text)).toEqual([...SCENARIO_FIELDS]);
    }
  });

  it('every simulate command in the README and docs/simulator.md runs and exits 0', async () => {
    const commands = [...`${readme}\n${simulatorDoc}`.matchAll(/^npm run simulate -- (.+)$/gm)].map((m) => m[1] ?? '');
    expect(commands.length).toBeGreaterThanOrEqual(5);
    for (const command of commands) {
      const errors: string[] = [];
      const code = await main(['simulate', ...shellWords(command)], {
        stdout: () => {},
        stderr: (t) => errors.push(t),
      });
      expect([command, code, errors.join('\n')]).toEqual([command, 0, '']);
    }
  });
});
