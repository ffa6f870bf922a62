import { afterEach, describe, expect, it } from 'vitest';
import { findBrokenSourceMaps } from '../../scripts/sourceMaps.js';
import { removeFileTree, writeFileTree } from '../support/fileTree.js';

let dir: string;

async function packageWith(files: Record<string, string>): Promise<string> {
  dir = await writeFileTree(files);
  return dir;
}

afterEach(async () => {
  await removeFileTree(dir);
});

describe('source maps of a package', () => {
  it('reports a map whose source is not shipped, as tsc writes them for dist/ without src/', async () => {
    const pkg = await packageWith({
      'dist/index.js': 'export {};\n//# sourceMappingURL=index.js.map',
      'dist/index.js.map': JSON.stringify({ version: 3, sources: ['../src/index.ts'], mappings: '' }),
    });
    expect(await findBrokenSourceMaps(pkg)).toEqual([
      'dist/index.js.map: source ../src/index.ts is not in the package',
    ]);
  });

  it('reports a sourceMappingURL naming a map that is not shipped', async () => {
    const pkg = await packageWith({ 'dist/index.d.ts': 'export {};\n//# sourceMappingURL=index.d.ts.map' });
    expect(await findBrokenSourceMaps(pkg)).toEqual([
      'dist/index.d.ts: source map index.d.ts.map is not in the package',
    ]);
  });

  it('accepts maps whose sources are shipped (honouring sourceRoot), inline maps, and no maps at all', async () => {
    const pkg = await packageWith({
      'src/index.ts': 'export {};',
      'dist/index.js': 'export {};\n//# sourceMappingURL=index.js.map',
      'dist/index.js.map': JSON.stringify({ version: 3, sourceRoot: '../src', sources: ['index.ts'], mappings: '' }),
      'dist/inline.js': 'export {};\n//# sourceMappingURL=data:application/json;base64,e30=',
      'dist/plain.cjs': 'module.exports = {};',
    });
    expect(await findBrokenSourceMaps(pkg)).toEqual([]);
  });
});
