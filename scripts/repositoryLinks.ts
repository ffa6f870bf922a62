/**
 * Links into the repository, as the README and the API reference write them:
 * `https://github.com/voice-mfa/voice-mfa/blob/main/<path>`. The repository's
 * address is read from package.json, so it is written down once.
 */
import { readFileSync } from 'node:fs';

/** The branch that absolute links into the repository point at. */
export const LINKED_BRANCH = 'main';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  repository: { url: string };
};

/** The repository's web address, from package.json's `repository.url` (`git+https://….git`). */
export const REPOSITORY_URL = packageJson.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');

/** A link's target inside the repository. */
export interface RepositoryTarget {
  /** Path from the repository root, e.g. `docs/twilio.md`. */
  path: string;
  /** Line number from a `#L12` fragment, when there is one. */
  line: number | null;
}

/**
 * Where a link to a file or folder of the repository on the linked branch
 * points; `null` for any other link.
 *
 * @example
 * ```ts
 * repositoryTargetOf(`${REPOSITORY_URL}/blob/main/src/index.ts#L3`); // { path: 'src/index.ts', line: 3 }
 * ```
 */
export function repositoryTargetOf(href: string): RepositoryTarget | null {
  for (const kind of ['blob', 'tree']) {
    const prefix = `${REPOSITORY_URL}/${kind}/${LINKED_BRANCH}/`;
    if (!href.startsWith(prefix)) continue;
    const [path = '', fragment] = href.slice(prefix.length).split('#');
    const line = fragment?.match(/^L(\d+)$/)?.[1];
    return { path: decodeURIComponent(path), line: line === undefined ? null : Number(line) };
  }
  return null;
}
