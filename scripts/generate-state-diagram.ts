/**
 * Writes `docs/state-diagram.md` from the verification machine's definition.
 * Run with `npm run docs:diagram` whenever the machine changes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DIAGRAM_PATH, renderStateDiagramMarkdown } from './stateDiagram.js';

const target = fileURLToPath(new URL(`../${DIAGRAM_PATH}`, import.meta.url));
writeFileSync(target, renderStateDiagramMarkdown());
console.log(`wrote ${DIAGRAM_PATH}`);
