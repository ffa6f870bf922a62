/**
 * Fails when a source map in an unpacked package points at a file the package
 * does not ship. Usage: `tsx scripts/check-source-maps.ts <package dir>`.
 */
import { countSourceMaps, findBrokenSourceMaps } from './sourceMaps.js';

const packageDir = process.argv[2];
if (packageDir === undefined) {
  console.error('usage: check-source-maps <package dir>');
  process.exit(2);
}
const problems = await findBrokenSourceMaps(packageDir);
for (const problem of problems) console.error(problem);
if (problems.length > 0) process.exit(1);
console.log(`source maps: ${await countSourceMaps(packageDir)} shipped, none points at a missing file`);
