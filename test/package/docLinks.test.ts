import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDocLinks } from '../../scripts/docLinks.js';
import { REPOSITORY_URL } from '../../scripts/repositoryLinks.js';
import { removeFileTree, writeFileTree } from '../support/fileTree.js';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
let site: string;

async function siteWith(files: Record<string, string>): Promise<string> {
  site = await writeFileTree(files);
  return site;
}

/** An index as typedoc writes it: deflated JSON, base64, assigned to a global. */
const typedocIndex = (name: string, data: unknown) =>
  `window.${name} = "${deflateSync(JSON.stringify(data)).toString('base64')}"`;

const source = (path: string) => `${REPOSITORY_URL}/blob/main/${path}`;

afterEach(async () => {
  await removeFileTree(site);
});

describe('the link check of the API reference', () => {
  it('accepts links to pages, anchors, assets, the page itself and the repository', async () => {
    const dir = await siteWith({
      'index.html': `<a href="classes/A.html#run">run</a><a href="#top" id="top"></a><a href="">self</a><a href="#">top</a>
        <link rel="stylesheet" href="assets/style.css"><svg><use href="assets/icons.svg#icon-1"></use></svg>
        <a href="${source('src/index.ts')}#L1">src/index.ts:1</a><a href="https://typedoc.org/">typedoc</a>`,
      'classes/A.html': '<h3 id="run">run</h3><a href="../index.html">home</a><a href="../index.html?x=1#top">up</a>',
      'assets/style.css': 'body {}',
      'assets/icons.svg': '<svg><symbol id="icon-1"></symbol></svg>',
      'assets/navigation.js': typedocIndex('navigationData', [
        { path: 'index.html', children: [{ path: 'classes/A.html' }] },
      ]),
      'assets/search.js': typedocIndex('searchData', { rows: [{ url: 'classes/A.html#run' }] }),
    });
    const report = checkDocLinks(dir, repositoryRoot);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ pages: 3, repositoryLinks: 1 });
    expect(report.siteLinks).toBe(11);
  });

  it('reports missing pages, missing anchors and broken entries of the navigation and search indexes', async () => {
    const dir = await siteWith({
      'index.html': '<a href="classes/B.html">B</a><a href="classes/A.html#walk">walk</a><a href="#nowhere">x</a>',
      'classes/A.html': '<h3 id="run">run</h3><a href="../../outside.html">out</a>',
      'assets/navigation.js': typedocIndex('navigationData', [{ path: 'modules/index.html' }]),
      'assets/search.js': typedocIndex('searchData', { rows: [{ url: 'classes/A.html#jump' }] }),
    });
    expect(checkDocLinks(dir, repositoryRoot).problems.sort()).toEqual([
      'assets/navigation.js: modules/index.html — no such file',
      'assets/search.js: classes/A.html#jump — no element with id "jump"',
      'classes/A.html: ../../outside.html — no such file',
      'index.html: #nowhere — no element with id "nowhere"',
      'index.html: classes/A.html#walk — no element with id "walk"',
      'index.html: classes/B.html — no such file',
    ]);
  });

  it('reports source links to files the repository does not keep, or to lines past their end', async () => {
    const dir = await siteWith({
      'index.html': `<a href="${source('src/missing.ts')}#L1">a</a>
        <a href="${source('node_modules/typescript/lib/lib.es5.d.ts')}#L1">b</a>
        <a href="${source('src/index.ts')}#L100000">c</a>`,
    });
    expect(checkDocLinks(dir, repositoryRoot).problems).toEqual([
      `index.html: ${source('src/missing.ts')}#L1 — no such file in the repository`,
      `index.html: ${source('node_modules/typescript/lib/lib.es5.d.ts')}#L1 — no such file in the repository`,
      `index.html: ${source('src/index.ts')}#L100000 — the file has no line 100000`,
    ]);
  });
});
