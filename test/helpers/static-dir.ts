// A folder to serve as the bridge's --static-dir: the built page (dist/) with some of its models linked
// in, and models a test or benchmark writes itself; models/index.json lists both, linked ones first.
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** `linked`: ids of dist/models; `written`: id → its files (name → content); `files`: more files beside the page. */
export function servedDist(linked: string[], written: Record<string, Record<string, string | Uint8Array>> = {},
  files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'pagebridge-served-'));
  for (const entry of readdirSync(DIST)) if (entry !== 'models') symlinkSync(join(DIST, entry), join(dir, entry));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  mkdirSync(join(dir, 'models'));
  for (const id of linked) symlinkSync(join(DIST, 'models', id), join(dir, 'models', id));
  for (const [id, modelFiles] of Object.entries(written)) {
    mkdirSync(join(dir, 'models', id));
    for (const [name, content] of Object.entries(modelFiles)) writeFileSync(join(dir, 'models', id, name), content);
  }
  writeFileSync(join(dir, 'models', 'index.json'), JSON.stringify({ models: [...linked, ...Object.keys(written)] }));
  return dir;
}
