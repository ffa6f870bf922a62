/**
 * Fails when a link of the generated API reference is broken. Usage, after
 * `npx typedoc`: `tsx scripts/check-doc-links.ts [docs/api]`.
 */
import { fileURLToPath } from 'node:url';
import { checkDocLinks } from './docLinks.js';

const siteDir = process.argv[2] ?? 'docs/api';
const report = checkDocLinks(siteDir, fileURLToPath(new URL('..', import.meta.url)));
for (const problem of report.problems) console.error(problem);
// A site without source links means the source link template stopped producing them.
if (report.repositoryLinks === 0) console.error(`${siteDir}: no link to a source file of the repository`);
if (report.problems.length > 0 || report.repositoryLinks === 0) process.exit(1);
console.log(
  `${siteDir}: ${report.pages} pages, ${report.siteLinks} links within the site and ${report.repositoryLinks} into the repository, none broken`,
);
