/**
 * Finds source maps in a package that point at files the package does not
 * contain: a map whose `sources` are missing, or a `sourceMappingURL` comment
 * naming a map that is missing. Such maps send debuggers and editors to nothing.
 */
import { access, readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

const MAPPED_FILE = /\.(c|m)?js$|\.d\.(c|m)?ts$/;
const MAPPING_URL = /^\/\/# sourceMappingURL=(\S+)\s*$/m;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Every file under `dir`, as absolute paths. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** What a package's source maps get wrong, one line each, paths relative to `packageDir`; empty when nothing. */
export async function findBrokenSourceMaps(packageDir: string): Promise<string[]> {
  const problems: string[] = [];
  const shown = (path: string) => relative(packageDir, path);
  for (const file of await listFiles(packageDir)) {
    if (file.endsWith('.map')) {
      const map = JSON.parse(await readFile(file, 'utf8')) as { sources?: unknown; sourceRoot?: unknown };
      const root = resolve(dirname(file), typeof map.sourceRoot === 'string' ? map.sourceRoot : '');
      const sources = Array.isArray(map.sources) ? map.sources : [];
      for (const source of sources) {
        if (typeof source !== 'string' || !(await exists(resolve(root, source)))) {
          problems.push(`${shown(file)}: source ${String(source)} is not in the package`);
        }
      }
    } else if (MAPPED_FILE.test(file)) {
      const url = (await readFile(file, 'utf8')).match(MAPPING_URL)?.[1];
      if (url !== undefined && !url.startsWith('data:') && !(await exists(resolve(dirname(file), url)))) {
        problems.push(`${shown(file)}: source map ${url} is not in the package`);
      }
    }
  }
  return problems;
}

/** How many source maps a package ships. */
export async function countSourceMaps(packageDir: string): Promise<number> {
  return (await listFiles(packageDir)).filter((file) => file.endsWith('.map')).length;
}
