// The runtime WebSocket's data folder (--data-dir): `run_model` with `is_data: false` names a file in it.
// Nothing outside the folder can be read: no absolute paths, no "..", no link that leads out.
import { readdir, realpath, readFile, stat } from 'node:fs/promises';
import { join, relative as relativePath, sep } from 'node:path';
import { BridgeError } from './core/errors.ts';
import { sniffImage } from './core/values.ts';

/** The real path of `relative` inside `dataDir`, or a BridgeError saying why not. */
export async function resolveInDataDir(dataDir: string, relative: unknown): Promise<string> {
  if (typeof relative !== 'string' || relative.trim() === '') {
    throw new BridgeError('bad_request', '"model.data" must be a file path relative to --data-dir when "is_data" is false');
  }
  if (relative.includes('\0')) throw new BridgeError('bad_request', `the path ${JSON.stringify(relative)} holds a NUL character`);
  if (/^([/\\]|[a-zA-Z]:)/.test(relative)) {
    throw new BridgeError('bad_request', `the path "${relative}" is absolute: give a path relative to --data-dir`);
  }
  if (relative.split(/[/\\]/).includes('..')) {
    throw new BridgeError('bad_request', `the path "${relative}" goes up with "..": only files inside --data-dir can be read`);
  }
  let root: string;
  try {
    root = await realpath(dataDir);
  } catch {
    throw new BridgeError('not_found', `--data-dir "${dataDir}" does not exist`);
  }
  let full: string;
  try {
    full = await realpath(join(root, relative));
  } catch {
    throw new BridgeError('not_found', `no file "${relative}" in --data-dir "${dataDir}"`);
  }
  // realpath follows every link, so a link inside the folder that points out of it lands outside here.
  if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new BridgeError('bad_request', `the path "${relative}" leads outside --data-dir (through a link): only files inside it can be read`);
  }
  return full;
}

/**
 * Every file of the folder, for a Python program to read under /data: paths relative to it ('/'
 * separated), at most `maxBytes` in all (files past that are left out, and `skipped` told why). Links
 * are followed only where they stay inside the folder; a missing folder is no files.
 */
export async function readDataTree(dataDir: string, maxBytes: number, skipped: (why: string) => void): Promise<{ path: string; bytes: Uint8Array }[]> {
  let root: string;
  try {
    root = await realpath(dataDir);
  } catch {
    return [];
  }
  const out: { path: string; bytes: Uint8Array }[] = [];
  let total = 0;
  const inside = (full: string) => full === root || full.startsWith(root.endsWith(sep) ? root : root + sep);
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 16) return;
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = await realpath(join(dir, entry.name)).catch(() => undefined);
      if (!full || !inside(full)) continue;
      const info = await stat(full);
      const shown = relativePath(root, join(dir, entry.name)).split(sep).join('/');
      if (info.isDirectory()) await walk(join(dir, entry.name), depth + 1);
      else if (info.isFile()) {
        if (total + info.size > maxBytes) {
          skipped(`--data-dir's "${shown}" (${info.size} bytes) is left out of /data: the program's data files may hold ${maxBytes} bytes in all (--max-body)`);
          continue;
        }
        total += info.size;
        const bytes = await readFile(full);
        out.push({ path: shown, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
      }
    }
  };
  await walk(root, 0);
  return out;
}

/** What a data file holds: JSON parsed, CSV as rows, an image as bytes, anything else as text. */
export type DataFile =
  | { kind: 'json'; value: unknown }
  | { kind: 'csv'; value: unknown[] }
  | { kind: 'image'; value: Uint8Array }
  | { kind: 'text'; value: string };

export async function readDataFile(dataDir: string, relative: unknown, maxBytes: number): Promise<DataFile> {
  const full = await resolveInDataDir(dataDir, relative);
  const info = await stat(full);
  if (!info.isFile()) throw new BridgeError('bad_request', `"${relative as string}" in --data-dir is not a file`);
  if (info.size > maxBytes) {
    throw new BridgeError('too_large', `"${relative as string}" is ${info.size} bytes, over the limit of ${maxBytes} bytes (--max-body)`);
  }
  const bytes = await readFile(full);
  const name = full.toLowerCase();
  if (name.endsWith('.json')) {
    try {
      return { kind: 'json', value: JSON.parse(bytes.toString('utf8')) };
    } catch (err) {
      throw new BridgeError('bad_request', `"${relative as string}" is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (name.endsWith('.csv')) return { kind: 'csv', value: parseCsv(bytes.toString('utf8')) };
  if (sniffImage(bytes)) return { kind: 'image', value: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  return { kind: 'text', value: bytes.toString('utf8') };
}

/**
 * CSV (comma-separated, double quotes around fields that need them) as rows: numbers become numbers,
 * empty cells null. When the first row is a header (every cell text, and numbers below it), the rows
 * are objects keyed by it; else arrays.
 */
export function parseCsv(text: string): unknown[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  const nonEmpty = rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
  const cell = (s: string): string | number | null => {
    const t = s.trim();
    if (t === '') return null;
    const n = Number(t);
    return Number.isFinite(n) ? n : s;
  };
  const typed = nonEmpty.map((r) => r.map(cell));
  const [first, ...rest] = typed;
  const header = first !== undefined && first.every((v) => typeof v === 'string') &&
    rest.some((r) => r.some((v) => typeof v === 'number'));
  if (!header) return typed;
  const names = nonEmpty[0]!.map((s) => s.trim());
  return rest.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i] ?? null])));
}
