/**
 * The machine stays pure: files under src/machine/ import only `xstate` and each
 * other, and never read a clock, a random source, timers, the process or crypto.
 * Sources are parsed with the TypeScript compiler, so comments and strings that
 * merely mention these names do not count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const MACHINE_DIR = fileURLToPath(new URL('../../src/machine/', import.meta.url));

/** Bare module names the machine may import. */
const ALLOWED_PACKAGES: ReadonlySet<string> = new Set(['xstate']);

/** Globals whose every use is impure: timers, the process, crypto and the high-resolution clock. */
const FORBIDDEN_GLOBALS: ReadonlySet<string> = new Set([
  'setTimeout',
  'setInterval',
  'setImmediate',
  'process',
  'crypto',
  'performance',
]);

/** Members that read the clock or a random source, by the object they belong to. */
const FORBIDDEN_MEMBERS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['Date', new Set(['now'])],
  ['Math', new Set(['random'])],
]);

/** Names under which globals can be reached as properties. */
const GLOBAL_OBJECTS: ReadonlySet<string> = new Set(['globalThis', 'global', 'window', 'self']);

interface Finding {
  file: string;
  line: number;
  problem: string;
}

function isInsideMachineDir(file: string, specifier: string): boolean {
  const resolved = path.resolve(path.dirname(file), specifier);
  return resolved === MACHINE_DIR.replace(/[\\/]$/, '') || resolved.startsWith(MACHINE_DIR);
}

function importProblem(file: string, specifier: string): string | null {
  if (specifier.startsWith('.')) {
    return isInsideMachineDir(file, specifier) ? null : `imports '${specifier}', outside src/machine/`;
  }
  return ALLOWED_PACKAGES.has(specifier) ? null : `imports '${specifier}'`;
}

/** The module a node loads: `import`/`export … from`, `import x = require()`, `import()`, `require()`, `import('…').T`. */
function loadedModule(node: ts.Node): ts.Expression | undefined {
  if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return node.moduleSpecifier;
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    return node.moduleReference.expression;
  }
  if (ts.isCallExpression(node)) {
    const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
    const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
    if (isDynamicImport || isRequire) return node.arguments[0];
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) return node.argument.literal;
  return undefined;
}

/** Whether an identifier names something (a property, a declared member) rather than referring to a value. */
function isNameOnly(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isQualifiedName(parent) && parent.right === node) return true;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isGetAccessorDeclaration(parent) ||
      ts.isSetAccessorDeclaration(parent) ||
      ts.isEnumMember(parent) ||
      ts.isPropertyAccessExpression(parent)) &&
    parent.name === node
  ) {
    return true;
  }
  if (ts.isBindingElement(parent) && parent.propertyName === node) return true;
  return ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent);
}

/** `Date`, `globalThis.Date`: the global an expression stands for, if it is one. */
function globalName(expression: ts.Expression): string | undefined {
  if (ts.isIdentifier(expression)) return expression.text;
  if (
    ts.isPropertyAccessExpression(expression) &&
    ts.isIdentifier(expression.expression) &&
    GLOBAL_OBJECTS.has(expression.expression.text)
  ) {
    return expression.name.text;
  }
  return undefined;
}

function impureUse(node: ts.Node): string | null {
  if (ts.isIdentifier(node) && FORBIDDEN_GLOBALS.has(node.text) && !isNameOnly(node)) return `uses ${node.text}`;
  if (ts.isPropertyAccessExpression(node)) {
    const owner = globalName(node.expression);
    if (owner !== undefined && FORBIDDEN_MEMBERS.get(owner)?.has(node.name.text)) {
      return `uses ${owner}.${node.name.text}`;
    }
    if (ts.isIdentifier(node.expression) && GLOBAL_OBJECTS.has(node.expression.text)) {
      if (FORBIDDEN_GLOBALS.has(node.name.text)) return `uses ${node.expression.text}.${node.name.text}`;
    }
  }
  // Reading the current time: `new Date()`, `Date()`.
  if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && globalName(node.expression) === 'Date') {
    return ts.isNewExpression(node) ? 'uses new Date' : 'uses Date()';
  }
  return null;
}

/** Every impure import or use in one source file. */
function checkMachineSource(file: string, source: string): Finding[] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const findings: Finding[] = [];
  const report = (node: ts.Node, problem: string) => {
    const { line } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
    findings.push({ file: path.basename(file), line: line + 1, problem });
  };
  const visit = (node: ts.Node) => {
    const loaded = loadedModule(node);
    if (loaded !== undefined) {
      if (ts.isStringLiteralLike(loaded)) {
        const problem = importProblem(file, loaded.text);
        if (problem !== null) report(node, problem);
      } else {
        report(node, 'loads a module whose name is computed');
      }
    }
    const problem = impureUse(node);
    if (problem !== null) report(node, problem);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return findings;
}

function machineSourceFiles(): string[] {
  return readdirSync(MACHINE_DIR, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(name))
    .map((name) => path.join(MACHINE_DIR, name))
    .sort();
}

const describeFindings = (findings: readonly Finding[]) =>
  findings.map((finding) => `${finding.file}:${finding.line} ${finding.problem}`);

/** A file inside src/machine/, for checking sample sources. */
const SAMPLE_FILE = path.join(MACHINE_DIR, 'sample.ts');
const check = (source: string) => describeFindings(checkMachineSource(SAMPLE_FILE, source));

describe('src/machine/ stays pure', () => {
  it('there are machine sources to check', () => {
    expect(machineSourceFiles().map((file) => path.basename(file))).toContain('verificationCallMachine.ts');
  });

  it('files under src/machine/ import only xstate and modules inside src/machine/, and use no clock, randomness, timers, process or crypto', () => {
    const findings = machineSourceFiles().flatMap((file) => checkMachineSource(file, readFileSync(file, 'utf8')));
    expect(describeFindings(findings)).toEqual([]);
  });

  describe('the checker itself', () => {
    it('accepts xstate, modules inside src/machine/ and type-only imports of them', () => {
      expect(
        check(`
          import { setup } from 'xstate';
          import type { VerificationInput } from './types.js';
          export { scanKeys } from './entry.js';
          export * from './outcomes.js';
        `),
      ).toEqual([]);
    });

    it('catches a forbidden import in every form', () => {
      expect(
        check(`
          import fs from 'node:fs';
          import type { Actor } from 'xstate/dist/declarations';
          import { createVerificationActor } from '../runtime/createVerificationActor.js';
          export { InvalidRequestError } from '../errors.js';
          import twilio = require('twilio');
          const lib = await import('libphonenumber-js');
          const os = require('os');
          type Clock = import('node:perf_hooks').Performance;
          const dynamic = await import(someName);
        `),
      ).toEqual([
        "sample.ts:2 imports 'node:fs'",
        "sample.ts:3 imports 'xstate/dist/declarations'",
        "sample.ts:4 imports '../runtime/createVerificationActor.js', outside src/machine/",
        "sample.ts:5 imports '../errors.js', outside src/machine/",
        "sample.ts:6 imports 'twilio'",
        "sample.ts:7 imports 'libphonenumber-js'",
        "sample.ts:8 imports 'os'",
        "sample.ts:9 imports 'node:perf_hooks'",
        'sample.ts:10 loads a module whose name is computed',
      ]);
    });

    it('catches clocks, randomness, timers, the process and crypto', () => {
      expect(
        check(`
          const a = Date.now();
          const b = new Date();
          const c = Math.random();
          setTimeout(() => {}, 10);
          const d = setInterval(tick, 10);
          const e = performance.now();
          const f = process.env.TZ;
          const g = crypto.randomUUID();
          const h = globalThis.crypto;
          const i = globalThis.Date.now();
        `),
      ).toEqual([
        'sample.ts:2 uses Date.now',
        'sample.ts:3 uses new Date',
        'sample.ts:4 uses Math.random',
        'sample.ts:5 uses setTimeout',
        'sample.ts:6 uses setInterval',
        'sample.ts:7 uses performance',
        'sample.ts:8 uses process',
        'sample.ts:9 uses crypto',
        'sample.ts:10 uses globalThis.crypto',
        'sample.ts:11 uses Date.now',
      ]);
    });

    it('ignores comments, strings and property names that only mention those names', () => {
      expect(
        check(`
          // Compare with crypto.timingSafeEqual; never Date.now() or setTimeout here.
          /** Runs in the process of the host. */
          const text = 'process crypto Date.now() Math.random()';
          const record = { process: 1, crypto: 'none', now: 2 };
          const field = record.process + record.crypto.length;
          const max = Math.max(1, 2);
          const parsed = Date.parse('2024-01-01T00:00:00Z');
          interface Options { crypto: boolean; performance(): void }
        `),
      ).toEqual([]);
    });
  });
});
