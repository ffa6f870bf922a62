import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LINKED_BRANCH, REPOSITORY_URL, repositoryTargetOf } from '../../scripts/repositoryLinks.js';
import { headingAnchors, linkTargets } from '../support/markdownLinks.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = join(root, 'docs');
const guides = readdirSync(docs).filter((name) => name.endsWith('.md'));

/** What is wrong with one link of a guide, or `null` when it leads somewhere that exists. */
function brokenLink(page: string, href: string): string | null {
  const repositoryTarget = repositoryTargetOf(href);
  if (repositoryTarget !== null) return existsSync(join(root, repositoryTarget.path)) ? null : 'no such file';
  // Other web addresses and schemes are not the repository's to check.
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) return null;
  const [path = '', anchor] = href.split('#');
  const file = path === '' ? page : join(dirname(page), decodeURIComponent(path));
  if (!existsSync(file)) return 'no such file';
  if (anchor === undefined || anchor === '' || !file.endsWith('.md')) return null;
  return headingAnchors(readFileSync(file, 'utf8')).has(anchor) ? null : 'no such heading';
}

describe('the guides in docs/', () => {
  it('are there to check', () => {
    expect(guides.length).toBeGreaterThan(5);
  });

  it.each(guides)('%s links to files and headings that exist', (name) => {
    const page = join(docs, name);
    const targets = linkTargets(readFileSync(page, 'utf8'));
    const broken = targets.flatMap((href) => {
      const problem = brokenLink(page, href);
      return problem === null ? [] : [`${relative(root, page)}: ${href} (${problem})`];
    });
    expect(broken).toEqual([]);
  });

  it('finds a link to a missing heading, file or repository path', () => {
    const page = join(docs, 'operations.md');
    expect(brokenLink(page, 'performance.md#no-such-heading')).toBe('no such heading');
    expect(brokenLink(page, '#no-such-heading')).toBe('no such heading');
    expect(brokenLink(page, 'no-such-page.md')).toBe('no such file');
    expect(brokenLink(page, '../src/no-such-file.ts')).toBe('no such file');
    expect(brokenLink(page, `${REPOSITORY_URL}/blob/${LINKED_BRANCH}/no-such-file.md`)).toBe('no such file');
    expect(brokenLink(page, `${REPOSITORY_URL}/blob/${LINKED_BRANCH}/docs/operations.md`)).toBeNull();
    expect(brokenLink(page, 'performance.md#where-the-time-goes')).toBeNull();
    expect(brokenLink(page, 'https://www.twilio.com/docs')).toBeNull();
  });
});
