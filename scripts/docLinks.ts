/**
 * Checks the links of a generated HTML site (the typedoc output in docs/api):
 * every relative `href` or `src` must name a file of the site and, with a
 * fragment, an element id in it; the paths in typedoc's navigation and search
 * indexes likewise; and every link into the repository (the "Defined in" source
 * links) must name a file the repository keeps (tracked, or new and not
 * ignored: node_modules/ is not) and a line it has.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { Parser } from 'htmlparser2';
import { repositoryTargetOf } from './repositoryLinks.js';

/** What the check found. */
export interface DocLinkReport {
  /** One line per broken link: the page, the link, and what is missing. */
  problems: string[];
  pages: number;
  /** Links to files and anchors of the site, including those of the navigation and search indexes. */
  siteLinks: number;
  /** Links to files of the repository. */
  repositoryLinks: number;
}

interface Page {
  ids: Set<string>;
  links: string[];
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
/** Attributes that load or link to another document. */
const LINK_ATTRIBUTES = new Set(['href', 'src', 'xlink:href']);
/** typedoc's indexes: a base64, deflated JSON document assigned to a global. */
const INDEXES: Record<string, (data: unknown) => string[]> = {
  'assets/navigation.js': (data) => {
    type Node = { path?: string; children?: Node[] };
    const paths = (nodes: Node[]): string[] =>
      nodes.flatMap((node) => [...(node.path === undefined ? [] : [node.path]), ...paths(node.children ?? [])]);
    return paths(data as Node[]);
  },
  'assets/search.js': (data) => (data as { rows: { url: string }[] }).rows.map((row) => row.url),
};

function readPage(file: string): Page {
  const page: Page = { ids: new Set(), links: [] };
  const parser = new Parser({
    onopentag(_name, attributes) {
      for (const [attribute, value] of Object.entries(attributes)) {
        if (attribute === 'id' || attribute === 'name') page.ids.add(value);
        if (LINK_ATTRIBUTES.has(attribute)) page.links.push(value);
      }
    },
  });
  parser.end(readFileSync(file, 'utf8'));
  return page;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

function readIndex(file: string, paths: (data: unknown) => string[]): string[] {
  const encoded = readFileSync(file, 'utf8').match(/=\s*"([A-Za-z0-9+/=]+)"/)?.[1];
  if (encoded === undefined) throw new Error(`${file}: no encoded index found`);
  return paths(JSON.parse(inflateSync(Buffer.from(encoded, 'base64')).toString('utf8')));
}

function lineCount(file: string): number {
  return readFileSync(file, 'utf8').split('\n').length;
}

/** The files git keeps in the repository: tracked, or new and not ignored. */
function repositoryFiles(repositoryRoot: string): Set<string> {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repositoryRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return new Set(listed.split('\0').filter((path) => path !== ''));
}

/**
 * Checks every link of the site in `siteDir`; links into the repository are
 * looked up in `repositoryRoot`.
 *
 * @example
 * ```ts
 * const { problems } = checkDocLinks('docs/api', '.');
 * ```
 */
export function checkDocLinks(siteDir: string, repositoryRoot: string): DocLinkReport {
  const site = resolve(siteDir);
  const pages = new Map<string, Page>();
  const files = listFiles(site);
  for (const file of files) if (/\.(html|svg)$/.test(file)) pages.set(file, readPage(file));

  const report: DocLinkReport = { problems: [], pages: pages.size, siteLinks: 0, repositoryLinks: 0 };
  const problem = (from: string, link: string, what: string) =>
    report.problems.push(`${relative(site, from)}: ${link} — ${what}`);

  const checkSiteLink = (from: string, link: string, base: string) => {
    report.siteLinks++;
    const [pathAndQuery = '', fragment = ''] = link.split('#', 2);
    const path = decodeURIComponent(pathAndQuery.split('?')[0] ?? '');
    const target = path === '' ? from : resolve(base, path);
    if (!target.startsWith(site) || !existsSync(target) || !statSync(target).isFile()) {
      problem(from, link, 'no such file');
      return;
    }
    const page = pages.get(target);
    if (fragment !== '' && page !== undefined && !page.ids.has(decodeURIComponent(fragment))) {
      problem(from, link, `no element with id "${fragment}"`);
    }
  };

  let keptFiles: Set<string> | undefined;
  const checkRepositoryLink = (from: string, link: string) => {
    const target = repositoryTargetOf(link);
    if (target === null) return;
    report.repositoryLinks++;
    keptFiles ??= repositoryFiles(repositoryRoot);
    if (!keptFiles.has(target.path)) problem(from, link, 'no such file in the repository');
    else if (target.line !== null && target.line > lineCount(resolve(repositoryRoot, target.path))) {
      problem(from, link, `the file has no line ${target.line}`);
    }
  };

  for (const [file, page] of pages) {
    for (const link of page.links) {
      if (link.startsWith('//') || SCHEME.test(link)) checkRepositoryLink(file, link);
      else checkSiteLink(file, link, dirname(file));
    }
  }
  for (const [index, paths] of Object.entries(INDEXES)) {
    const file = join(site, index);
    if (!existsSync(file)) continue;
    for (const path of readIndex(file, paths)) checkSiteLink(file, path, site);
  }
  return report;
}
