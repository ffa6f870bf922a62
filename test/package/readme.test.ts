import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_URL, repositoryTargetOf } from '../../scripts/repositoryLinks.js';
import { headingAnchors, linkTargets } from '../support/markdownLinks.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const packageJson = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

describe('the README as the registry shows it (the package ships no docs/ or examples/)', () => {
  const targets = linkTargets(readme);

  it('has links to check', () => {
    expect(targets.length).toBeGreaterThan(5);
  });

  it('links with absolute URLs or to its own headings only', () => {
    const relative = targets.filter((href) => !href.startsWith('https://') && !href.startsWith('#'));
    expect(relative).toEqual([]);
  });

  it('links to its own headings that exist', () => {
    const headings = headingAnchors(readme);
    const missing = targets.filter((href) => href.startsWith('#') && !headings.has(href.slice(1)));
    expect(missing).toEqual([]);
  });

  it('links to files of the repository that exist', () => {
    const intoRepository = targets.flatMap((href) => repositoryTargetOf(href) ?? []);
    expect(intoRepository.length).toBeGreaterThan(5);
    expect(intoRepository.filter((target) => !existsSync(`${root}${target.path}`))).toEqual([]);
  });

  it('links into the repository only on the branch the links are checked against', () => {
    const elsewhere = targets.filter(
      (href) => href.startsWith(`${REPOSITORY_URL}/`) && repositoryTargetOf(href) === null,
    );
    expect(elsewhere).toEqual([]);
  });
});

describe('package.json points users at the repository', () => {
  it('names the same repository for the source, the home page and bug reports', () => {
    expect(REPOSITORY_URL).toBe('https://github.com/voice-mfa/voice-mfa');
    expect(packageJson.repository).toEqual({ type: 'git', url: `git+${REPOSITORY_URL}.git` });
    expect(packageJson.homepage).toBe(`${REPOSITORY_URL}#readme`);
    expect(packageJson.bugs).toEqual({ url: `${REPOSITORY_URL}/issues` });
    expect(packageJson.keywords.length).toBeGreaterThan(3);
  });
});
