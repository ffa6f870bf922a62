/**
 * The TypeScript users read in the README, docs/ and the TSDoc of the public
 * API compiles against the package as it is: its imports, names, options and
 * argument order.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDocSnippets, markdownSnippets, publicTsdocSnippets, snippetsOf } from '../../scripts/docSnippets.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const markdownFiles = [
  'README.md',
  ...readdirSync(`${root}docs`)
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Snippets made to test the check itself: right ones, then wrong ones. */
const made = markdownSnippets(
  'made.md',
  [
    'Right, with names from an earlier block and the host:',
    '```ts',
    "const result = await runVerification({ targets: ['+14255550100'] }, { provider, clock });",
    'result.status;',
    '```',
    'A method of an object, and a list of values:',
    '```ts',
    'openSession(context) {',
    "  return { execute: async () => context.emit({ type: 'call.ringing', attempt: 0 }), close() {} };",
    '}',
    '```',
    '```ts',
    "{ press: '#', afterMs: 2000 }   // a comment",
    '{ hangUp: true,',
    "  from: 'prompt-start' }",
    '```',
    'Wrong:',
    '```ts',
    "await runVerification({ targets: ['+14255550100'], timeoutSeconds: 10 }, { provider });",
    '```',
    '```ts',
    "import { SqliteVerificationStore } from 'voice-mfa/postgres';",
    '```',
    '```ts',
    "maskPhoneNumber('+14255550100', 4, 'extra');",
    '```',
    '- In a list:',
    '  ```ts',
    "  parsePhoneTarget('+14255550100', { defaultCountry: 'US', region: 'US' });",
    '  ```',
  ].join('\n'),
);
const documented = snippetsOf(root, markdownFiles);
const exampled = publicTsdocSnippets(root);
let problems: string[] = [];

// One program for all snippets: building it is most of the cost.
beforeAll(() => {
  problems = checkDocSnippets(root, [...made, ...documented, ...exampled]);
}, 60_000);

const problemsIn = (file: string) => problems.filter((problem) => problem.startsWith(`${file}:`));

describe('the snippet check', () => {
  it('reports a wrong option, a wrong import and a wrong argument, in a list too, and passes fragments that are right', () => {
    expect(made.map((snippet) => snippet.location)).toEqual([
      'made.md:3',
      'made.md:8',
      'made.md:13',
      'made.md:19',
      'made.md:22',
      'made.md:25',
      'made.md:29',
    ]);
    const found = problemsIn('made.md');
    expect(found.map((problem) => problem.slice(0, problem.indexOf(':', 'made.md:'.length)))).toEqual([
      'made.md:19',
      'made.md:22',
      'made.md:25',
      'made.md:29',
    ]);
    expect(found[0]).toContain("'timeoutSeconds' does not exist");
    expect(found[1]).toContain("has no exported member named 'SqliteVerificationStore'");
    expect(found[3]).toContain("'region' does not exist");
  });
});

describe('README and docs/', () => {
  it('have TypeScript snippets that compile against the package', () => {
    expect(documented.length).toBeGreaterThan(30);
    expect(problems.filter((problem) => !problem.startsWith('made.md:') && !problem.startsWith('src/'))).toEqual([]);
  });
});

describe('the TSDoc of what the entry points export', () => {
  it('has examples that compile against the package', () => {
    expect(exampled.length).toBeGreaterThan(100);
    // A member's example is found with its class or interface.
    expect(exampled.some((snippet) => snippet.location.startsWith('src/runtime/runVerification.ts:'))).toBe(true);
    expect(problems.filter((problem) => problem.startsWith('src/'))).toEqual([]);
  });
});

describe('the shell commands of README and docs/', () => {
  it('export the variables they set on lines of their own, so that the command after them sees them', () => {
    const unexported = markdownFiles.flatMap((file) => {
      const markdown = readFileSync(`${root}${file}`, 'utf8');
      return [...markdown.matchAll(/^[ \t]*```sh\n([\s\S]*?)^[ \t]*```/gm)].flatMap((block) =>
        (block[1] ?? '')
          .split('\n')
          .filter((line) => /^\s*[A-Za-z_][A-Za-z0-9_]*=\S*\s*(#.*)?$/.test(line))
          .map((line) => `${file}: ${line.trim()}`),
      );
    });
    expect(unexported).toEqual([]);
  });
});
