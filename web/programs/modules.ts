// A program's files as a module graph: which file imports which, in what order their blob URLs can be
// made (a module's URL must exist before the text that imports it), in what order they evaluate, and
// where in the program an error happened. Pure: the program worker uses it, and the unit tests.

import { normalizeFilename, type ProgramFile } from '../contract/index.ts';

/** The in-program API's specifier (see docs/runtime.md). */
export const RUNTIME_SPECIFIER = 'pagebridge:runtime';
/** The target of an import of the in-program API. */
export const RUNTIME = Symbol('pagebridge:runtime');

/** A program that cannot be built (bad import, cycle, missing main file); `file`/`line` say where. */
export class ProgramError extends Error {
  override name = 'ProgramError';
  constructor(message: string, readonly file?: string, readonly line?: number) {
    super(message);
  }
}

export interface ImportSite {
  /** Offsets of the specifier's text inside its quotes. */
  start: number;
  end: number;
  specifier: string;
  /** `import("…")` rather than an import or export declaration. */
  dynamic: boolean;
}

export interface ResolvedImport extends ImportSite {
  target: string | typeof RUNTIME;
}

export interface ProgramPlan {
  /** Every file, each after the files it imports: the order to make blob URLs in. */
  buildOrder: string[];
  /** The files `mainfile` imports statically, depth first, then `mainfile`: the ES evaluation order. */
  evalOrder: string[];
  imports: Map<string, ResolvedImport[]>;
}

/** The source with comments blanked out (offsets and newlines kept), so that they hide no imports. */
export function blankComments(source: string): string {
  const out = source.split('');
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') out[i++] = ' ';
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? source.length : end + 2;
      for (; i < stop; i++) if (source[i] !== '\n') out[i] = ' ';
    } else if (c === '"' || c === "'" || c === '`') {
      // Skip the string so that a "//" inside it is not taken for a comment.
      i++;
      while (i < source.length && source[i] !== c) {
        if (source[i] === '\\') i++;
        else if (c !== '`' && source[i] === '\n') break;
        i++;
      }
      i++;
    } else i++;
  }
  return out.join('');
}

// Declarations start a statement: at the start of a line or after ; or }. Specifiers are string literals.
const STATIC_IMPORT = /(^|[;}])\s*import\s*(?:[\w$*{}\s,]+?\s*from\s*)?(['"])([^'"\n]+)\2/gm;
const RE_EXPORT = /(^|[;}])\s*export\s*(?:\*(?:\s*as\s+[\w$]+)?|\{[^}]*\})\s*from\s*(['"])([^'"\n]+)\2/gm;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g;

/** Every import specifier in a module's source (static imports, re-exports, `import("literal")`). */
export function findImports(source: string): ImportSite[] {
  const text = blankComments(source);
  const sites: ImportSite[] = [];
  for (const re of [STATIC_IMPORT, RE_EXPORT]) {
    for (const m of text.matchAll(re)) {
      const specifier = m[3]!;
      const end = m.index + m[0].length - 1;
      sites.push({ start: end - specifier.length, end, specifier, dynamic: false });
    }
  }
  for (const m of text.matchAll(DYNAMIC_IMPORT)) {
    const specifier = m[2]!;
    const quoteAt = m.index + m[0].indexOf(m[1]!, m[0].indexOf('('));
    sites.push({ start: quoteAt + 1, end: quoteAt + 1 + specifier.length, specifier, dynamic: true });
  }
  return sites.sort((a, b) => a.start - b.start);
}

/**
 * The program file an import names, relative to the importing file's folder ("./util.js", "util.js",
 * "../lib/util"; ".js" and ".mjs" may be left off), or RUNTIME for the in-program API.
 */
export function resolveImport(specifier: string, importer: string, files: ReadonlySet<string>): string | typeof RUNTIME | undefined {
  if (specifier === RUNTIME_SPECIFIER) return RUNTIME;
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier) || specifier.startsWith('//')) return undefined; // a URL
  const dir = importer.includes('/') ? importer.slice(0, importer.lastIndexOf('/') + 1) : '';
  const base = specifier.startsWith('/') ? normalizeFilename(specifier) : normalizeFilename(dir + specifier);
  for (const candidate of [base, `${base}.js`, `${base}.mjs`]) if (files.has(candidate)) return candidate;
  return undefined;
}

/** 1-based line of an offset. */
export function lineAt(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < source.length; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

/** Checks the program's files and imports, and orders them (see ProgramPlan). */
export function planProgram(files: readonly ProgramFile[], mainfile: string): ProgramPlan {
  const sources = new Map<string, string>();
  for (const f of files) {
    const name = normalizeFilename(f.filename);
    if (!name) throw new ProgramError(`file name ${JSON.stringify(f.filename)} is empty`);
    if (sources.has(name)) throw new ProgramError(`two files are named "${name}"`);
    sources.set(name, f.content);
  }
  const main = normalizeFilename(mainfile);
  if (!sources.has(main)) {
    throw new ProgramError(`the main file "${mainfile}" is not one of the program's files (${[...sources.keys()].join(', ')})`);
  }
  const names = new Set(sources.keys());
  const imports = new Map<string, ResolvedImport[]>();
  for (const [name, source] of sources) {
    imports.set(name, findImports(source).map((site) => {
      const target = resolveImport(site.specifier, name, names);
      if (target === undefined) {
        throw new ProgramError(`imports "${site.specifier}", which is neither a file of the program nor "${RUNTIME_SPECIFIER}" ` +
          '(a program can import only its own files and the runtime API)', name, lineAt(source, site.start));
      }
      return { ...site, target };
    }));
  }

  const buildOrder: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name].join(' → ');
      throw new ProgramError(`import cycle ${cycle}: programs cannot have import cycles (each module's URL is made after its imports' URLs)`, name);
    }
    state.set(name, 'visiting');
    for (const imp of imports.get(name)!) if (imp.target !== RUNTIME) visit(imp.target, [...path, name]);
    state.set(name, 'done');
    buildOrder.push(name);
  };
  visit(main, []);
  for (const name of names) visit(name, []);

  const evalOrder: string[] = [];
  const evaluated = new Set<string>();
  const evaluate = (name: string) => {
    if (evaluated.has(name)) return;
    evaluated.add(name);
    for (const imp of imports.get(name)!) if (!imp.dynamic && imp.target !== RUNTIME) evaluate(imp.target);
    evalOrder.push(name);
  };
  evaluate(main);
  return { buildOrder, evalOrder, imports };
}

/** The source with each import's specifier replaced by `urlOf(target)`; lines stay where they were. */
export function rewriteImports(source: string, imports: readonly ResolvedImport[], urlOf: (target: string | typeof RUNTIME) => string): string {
  let out = '';
  let at = 0;
  for (const imp of imports) {
    out += source.slice(at, imp.start) + urlOf(imp.target);
    at = imp.end;
  }
  return out + source.slice(at);
}

export interface ErrorLocation {
  file: string;
  line: number;
  column?: number;
}

const FRAME_URL = /(blob:[^\s()]+?):(\d+):(\d+)/g;

/** Where in the program an error was thrown: the first stack frame in one of its files. */
export function locateError(stack: string | undefined, fileOfUrl: ReadonlyMap<string, string>): ErrorLocation | undefined {
  if (!stack) return undefined;
  for (const m of stack.matchAll(FRAME_URL)) {
    const file = fileOfUrl.get(m[1]!);
    if (file) return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

/** The stack with blob URLs replaced by file names, and frames outside the program left out. */
export function programStack(stack: string | undefined, fileOfUrl: ReadonlyMap<string, string>): string | undefined {
  if (!stack) return undefined;
  const lines = stack.split('\n');
  const kept = lines.filter((line, i) => i === 0 || !/^\s+at /.test(line) || [...line.matchAll(FRAME_URL)].some((m) => fileOfUrl.has(m[1]!)));
  return kept.join('\n').replace(FRAME_URL, (whole, url: string, line: string, column: string) => {
    const file = fileOfUrl.get(url);
    return file ? `${file}:${line}:${column}` : whole;
  });
}

/**
 * A classic script that only parses `source` (a module) and never runs it: imports and exports are
 * blanked out, the rest wrapped in an uncalled async function. A syntax error in it is reported with
 * its line (module imports report syntax errors without one), on the same line as in `source`.
 */
export function parseOnlyScript(source: string): string {
  const text = blankComments(source);
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  let body = '';
  let at = 0;
  const edits: { start: number; end: number; with: string }[] = [];
  for (const re of [STATIC_IMPORT, RE_EXPORT]) {
    for (const m of text.matchAll(re)) {
      const lead = m[1]!.length;
      let end = m.index + m[0].length;
      if (text[end] === ';') end++;
      edits.push({ start: m.index + lead, end, with: blank(source.slice(m.index + lead, end)) });
    }
  }
  for (const m of text.matchAll(/\bexport\s+default\b/g)) edits.push({ start: m.index, end: m.index + m[0].length, with: 'void' });
  for (const m of text.matchAll(/\bexport\s*\{[^}]*\}\s*;?/g)) {
    if (!edits.some((e) => e.start <= m.index && m.index < e.end)) edits.push({ start: m.index, end: m.index + m[0].length, with: blank(m[0]) });
  }
  for (const m of text.matchAll(/\bexport\s+(?=(?:async\s+)?function\b|class\b|const\b|let\b|var\b)/g)) {
    edits.push({ start: m.index, end: m.index + m[0].length, with: '' });
  }
  for (const m of text.matchAll(/\bimport\.meta\b/g)) edits.push({ start: m.index, end: m.index + m[0].length, with: '({})' });
  edits.sort((a, b) => a.start - b.start);
  for (const e of edits) {
    if (e.start < at) continue; // overlapping edit: the first one wins
    body += source.slice(at, e.start) + e.with;
    at = e.end;
  }
  body += source.slice(at);
  return `(async function () { 'use strict'; ${body}\n});\npostMessage('parsed');\n`;
}
