/**
 * src/audio/ runs anywhere: it type-checks against the ECMAScript library
 * alone (no Node or DOM types), and imports nothing but its own modules and
 * the library's errors, option-name check and event types (each a module that
 * imports nothing else).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const AUDIO_DIR = fileURLToPath(new URL('../../src/audio/', import.meta.url));
const ALLOWED_OUTSIDE = new Set(['../errors.js', '../optionNames.js', '../machine/events.js']);

describe('src/audio/ is plain TypeScript', () => {
  it('type-checks with the ES2022 library and no ambient types', () => {
    const program = ts.createProgram([path.join(AUDIO_DIR, 'index.ts')], {
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      types: [],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noUncheckedIndexedAccess: true,
      noEmit: true,
      skipLibCheck: true,
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(problems).toEqual([]);
  });

  it('imports only its own modules, the library errors, option-name check and machine event types', () => {
    const outside = readdirSync(AUDIO_DIR)
      .filter((name) => name.endsWith('.ts'))
      .flatMap((name) =>
        ts
          .preProcessFile(readFileSync(path.join(AUDIO_DIR, name), 'utf8'), true, true)
          .importedFiles.map((file) => file.fileName)
          .filter((specifier) => !specifier.startsWith('./') && !ALLOWED_OUTSIDE.has(specifier))
          .map((specifier) => `${name}: ${specifier}`),
      );
    expect(outside).toEqual([]);
  });
});
