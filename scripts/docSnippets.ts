/**
 * Type-checks the TypeScript snippets users read — the fenced `ts` blocks of
 * Markdown files and of the TSDoc of what the package exports — against the
 * package's source, so that a renamed export, option or argument shows up as a
 * broken snippet.
 *
 * Snippets are fragments: each is checked as its own module, and a name it uses
 * without declaring or importing it is imported from the package's entry point
 * that exports it (`runVerification`, imported by an earlier block); any other
 * (a `provider` made earlier, a `pins` store of the host's) is left unresolved
 * and not reported. A block that is not a program on its own (an
 * object's method, a list of object literals, a `return` outside a function) is
 * checked inside an object literal, an array or a function. Missing annotations
 * are not reported (a fragment has no context to infer from), nor a module that
 * is neither the package nor installed (`express`).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/** A fenced `ts` block: where it was found and its text. */
export interface DocSnippet {
  /** `file:line` of the block's first line of code. */
  location: string;
  code: string;
}

/**
 * The package's entry points, as users import them, and their source files
 * (relative to `root`): the `paths` of tsconfig.json, through which the
 * snippets' imports of the package resolve too.
 */
function entryPointsOf(root: string): [entryPoint: string, path: string][] {
  return Object.entries(compilerOptions(root).paths ?? {}).map(([entryPoint, [path = ''] = []]) => [
    entryPoint,
    relative(root, join(root, path)),
  ]);
}

/** Diagnostics that a fragment cannot avoid: implicit `any` where the context is left out. */
const IGNORED_CODES = new Set([7006, 7031, 7034, 7005]);
/** "Cannot find name", "did you mean", "no value for the shorthand property": a name the snippet does not declare. */
const FREE_NAME_CODES = new Set([2304, 2552, 18004]);
/** "Cannot find module". */
const MISSING_MODULE_CODES = new Set([2307]);

/** The fenced `ts` (or `typescript`) blocks of a Markdown text, those indented in a list included. */
export function markdownSnippets(file: string, markdown: string): DocSnippet[] {
  return [...markdown.matchAll(/^([ \t]*)```(?:ts|typescript)\n([\s\S]*?)^\1```/gm)].map((match) => {
    const indent = match[1] ?? '';
    const code = (match[2] ?? '')
      .split('\n')
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join('\n');
    return { location: `${file}:${lineOf(markdown, match.index) + 1}`, code };
  });
}

/**
 * The fenced `ts` blocks of the TSDoc of every declaration an entry point
 * exports, its members' included; the line is counted in the source file.
 */
export function publicTsdocSnippets(root: string): DocSnippet[] {
  const snippets: DocSnippet[] = [];
  const seen = new Set<string>();
  for (const [path, names] of declarationsOfEntryPoints(root)) {
    const source = readSource(root, path, true);
    for (const statement of source.statements) {
      if (!names.has(declaredName(statement) ?? '')) continue;
      const start = statement.getFullStart();
      const text = statement.getFullText();
      for (const match of text.matchAll(/^([ \t]*\*[ \t]?)```ts\n([\s\S]*?)^[ \t]*\*[ \t]?```/gm)) {
        const location = `${path}:${lineOf(source.text, start + match.index) + 1}`;
        if (seen.has(location)) continue;
        seen.add(location);
        const code = (match[2] ?? '')
          .split('\n')
          .map((line) => line.replace(/^[ \t]*\*[ \t]?/, ''))
          .join('\n');
        snippets.push({ location, code });
      }
    }
  }
  return snippets;
}

function declaredName(statement: ts.Statement): string | undefined {
  if (ts.isVariableStatement(statement)) {
    const [declaration] = statement.declarationList.declarations;
    return declaration !== undefined && ts.isIdentifier(declaration.name) ? declaration.name.text : undefined;
  }
  const name = (statement as { name?: ts.Node }).name;
  return name !== undefined && ts.isIdentifier(name) ? name.text : undefined;
}

/**
 * Where what the entry points export is declared: source file (relative to
 * `root`) to local names, following `export { … } from` through the modules between.
 */
function declarationsOfEntryPoints(root: string): Map<string, Set<string>> {
  const declarations = new Map<string, Set<string>>();
  const sources = new Map<string, ts.SourceFile>();
  const parse = (path: string) => {
    const source = sources.get(path) ?? readSource(root, path);
    sources.set(path, source);
    return source;
  };
  const follow = (path: string, name: string, depth: number) => {
    const source = parse(path);
    for (const statement of source.statements) {
      if (!ts.isExportDeclaration(statement) || statement.moduleSpecifier === undefined) continue;
      if (statement.exportClause === undefined || !ts.isNamedExports(statement.exportClause)) continue;
      const element = statement.exportClause.elements.find((e) => e.name.text === name);
      if (element === undefined || depth > 5) continue;
      const specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
      const target = relative(root, join(root, dirname(path), specifier.replace(/\.js$/, '.ts')));
      follow(target, (element.propertyName ?? element.name).text, depth + 1);
      return;
    }
    if (!declarations.has(path)) declarations.set(path, new Set());
    declarations.get(path)?.add(name);
  };
  for (const [, path] of entryPointsOf(root)) {
    for (const statement of parse(path).statements) {
      if (!ts.isExportDeclaration(statement) || statement.exportClause === undefined) continue;
      if (!ts.isNamedExports(statement.exportClause)) continue;
      for (const element of statement.exportClause.elements) follow(path, element.name.text, 0);
    }
  }
  return declarations;
}

/** A source file of the package, `path` relative to `root`; with parent nodes when `withParents`. */
const readSource = (root: string, path: string, withParents = false): ts.SourceFile =>
  ts.createSourceFile(path, readFileSync(join(root, path), 'utf8'), ts.ScriptTarget.Latest, withParents);

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** The ways a fragment is made a module, tried in turn until one parses. */
const WRAPPINGS: ((code: string) => string)[] = [
  (code) => code,
  (code) => `void {\n${code}\n};`,
  (code) => `void [\n${asListItems(code)}\n];`,
  (code) => {
    const lines = code.split('\n');
    const imports = lines.filter((line) => line.startsWith('import '));
    const rest = lines.filter((line) => !line.startsWith('import '));
    return `${imports.join('\n')}\nasync function snippet(): Promise<unknown> {\n${rest.join('\n')}\n}\nvoid snippet;`;
  },
];

const compilerOptions = (root: string): ts.CompilerOptions => {
  const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  return { ...options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
};

/**
 * Type-checks snippets against the source under `root`; one line per problem,
 * `file:line: message`, with the line counted in the Markdown file.
 */
export function checkDocSnippets(root: string, snippets: readonly DocSnippet[]): string[] {
  const options = compilerOptions(root);
  const exported = exportsOfEntryPoints(root);
  const files = new Map<string, { snippet: DocSnippet; prelude: string; text: string }>();
  snippets.forEach((snippet, index) => {
    const body = wrapped(snippet.code);
    const prelude = `export {};\n${importsOfFreeExports(body, exported)}`;
    files.set(join(root, `.doc-snippet-${index}.ts`), { snippet, prelude, text: `${prelude}${body}\n` });
  });
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (name) => files.has(name) || ts.sys.fileExists(name);
  host.readFile = (name) => files.get(name)?.text ?? readFile(name);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) => {
    const file = files.get(name);
    return file === undefined
      ? getSourceFile(name, languageVersion, onError, shouldCreate)
      : ts.createSourceFile(name, file.text, languageVersion, true);
  };

  const program = ts.createProgram([...files.keys()], options, host);
  const problems: string[] = [];
  for (const [name, file] of files) {
    const sourceFile = program.getSourceFile(name);
    if (sourceFile === undefined) throw new Error(`${file.snippet.location}: not part of the program`);
    const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
    for (const diagnostic of diagnostics) {
      if (IGNORED_CODES.has(diagnostic.code) || FREE_NAME_CODES.has(diagnostic.code)) continue;
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (MISSING_MODULE_CODES.has(diagnostic.code) && !isOwnModule(message)) continue;
      problems.push(`${file.snippet.location}: ${message} (in: ${snippetLine(file, sourceFile, diagnostic)})`);
    }
  }
  return problems;
}

/**
 * A list of values, one or more lines each, as the items of an array: a comma
 * after each line that closes every bracket it or the lines before it opened,
 * ahead of the line's comment.
 */
function asListItems(code: string): string {
  let depth = 0;
  return code
    .split('\n')
    .map((line) => {
      let quote: string | null = null;
      let commentAt = line.length;
      for (let i = 0; i < line.length; i++) {
        const char = line[i] ?? '';
        if (quote !== null) {
          if (char === '\\') i++;
          else if (char === quote) quote = null;
        } else if (char === "'" || char === '"' || char === '`') quote = char;
        else if (char === '/' && line[i + 1] === '/') {
          commentAt = i;
          break;
        } else if ('{[('.includes(char)) depth++;
        else if ('}])'.includes(char)) depth--;
      }
      const code = line.slice(0, commentAt).trimEnd();
      return depth === 0 && code !== '' ? `${code},${line.slice(code.length)}` : line;
    })
    .join('\n');
}

/** The first wrapping of a fragment that parses, with no `return` outside a function. */
function wrapped(code: string): string {
  for (const wrap of WRAPPINGS) {
    const text = wrap(code);
    const parsed = ts.createSourceFile('snippet.ts', text, ts.ScriptTarget.Latest, true);
    if (parseErrorsOf(parsed).length === 0 && !returnsOutsideFunction(parsed)) return text;
  }
  return code;
}

/**
 * The syntax errors the parser found. The compiler keeps them on the source file
 * (`parseDiagnostics`, not in its typings); a program would find the same ones at
 * the cost of a program per attempt.
 */
function parseErrorsOf(sourceFile: ts.SourceFile): readonly ts.Diagnostic[] {
  const { parseDiagnostics } = sourceFile as ts.SourceFile & { parseDiagnostics?: readonly ts.Diagnostic[] };
  if (parseDiagnostics === undefined) throw new Error('this TypeScript keeps no parseDiagnostics on a source file');
  return parseDiagnostics;
}

function returnsOutsideFunction(node: ts.Node): boolean {
  if (ts.isReturnStatement(node)) return true;
  if (ts.isFunctionLike(node) || ts.isClassLike(node)) return false;
  return ts.forEachChild(node, returnsOutsideFunction) ?? false;
}

/**
 * The names the package's entry points export, read from their `export { … } from`
 * lists (they export nothing any other way): the entry point, and whether it is a
 * type only.
 */
function exportsOfEntryPoints(root: string): Map<string, { entryPoint: string; typeOnly: boolean }> {
  const exported = new Map<string, { entryPoint: string; typeOnly: boolean }>();
  for (const [entryPoint, path] of entryPointsOf(root)) {
    const source = readSource(root, path);
    for (const statement of source.statements) {
      if (!ts.isExportDeclaration(statement)) continue;
      if (statement.exportClause === undefined || !ts.isNamedExports(statement.exportClause)) {
        throw new Error(`${path}: exports other than \`export { … }\` are not read`);
      }
      for (const element of statement.exportClause.elements) {
        if (exported.has(element.name.text)) continue;
        exported.set(element.name.text, { entryPoint, typeOnly: statement.isTypeOnly || element.isTypeOnly });
      }
    }
  }
  return exported;
}

/** Imports of the package's exports that a snippet names without importing or declaring them. */
function importsOfFreeExports(code: string, exported: Map<string, { entryPoint: string; typeOnly: boolean }>): string {
  const named = new Set<string>();
  const declared = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node)) named.add(node.text);
    const name = (node as { name?: ts.Node }).name;
    if (
      ts.isDeclarationStatement(node) ||
      ts.isVariableDeclaration(node) ||
      ts.isBindingElement(node) ||
      ts.isParameter(node) ||
      ts.isImportSpecifier(node) ||
      ts.isImportClause(node) ||
      ts.isNamespaceImport(node)
    ) {
      if (name !== undefined && ts.isIdentifier(name)) declared.add(name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('snippet.ts', code, ts.ScriptTarget.Latest, true));
  return [...named]
    .filter((name) => !declared.has(name) && exported.has(name))
    .map((name) => {
      const { entryPoint, typeOnly } = exported.get(name) ?? { entryPoint: '', typeOnly: false };
      return `import ${typeOnly ? 'type ' : ''}{ ${name} } from '${entryPoint}';\n`;
    })
    .join('');
}

const isOwnModule = (message: string) => /'(voice-mfa(\/[^']*)?|\.{1,2}\/[^']*)'/.test(message);

/** The snippet's line a diagnostic points at, for the message. */
function snippetLine(file: { prelude: string }, sourceFile: ts.SourceFile, diagnostic: ts.Diagnostic): string {
  if (diagnostic.start === undefined || diagnostic.start < file.prelude.length) return '?';
  const { line } = sourceFile.getLineAndCharacterOfPosition(diagnostic.start);
  return (sourceFile.text.split('\n')[line] ?? '').trim();
}

/** The snippets of Markdown files, read from `root`. */
export function snippetsOf(root: string, markdownFiles: readonly string[]): DocSnippet[] {
  return markdownFiles.flatMap((file) => markdownSnippets(file, readFileSync(join(root, file), 'utf8')));
}
