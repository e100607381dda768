// What the runtime WebSocket's end-to-end tests share: a program message, and a --data-dir holding
// an image, a JSON file, a folder, and a link that leads out of it.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Files = { filename: string; content: string }[];

/** A `run` message for a JavaScript program. */
export const program = (files: Files, mainfile = files[0]!.filename) =>
  ({ action: 'run', javascript: { number: files.length, files, mainfile } });

export interface DataDir {
  dir: string;
  /** A folder beside it, which `escape.json` in it links into. */
  outside: string;
  remove(): void;
}

export function makeDataDir(): DataDir {
  const dir = mkdtempSync(join(tmpdir(), 'pagebridge-data-'));
  const outside = mkdtempSync(join(tmpdir(), 'pagebridge-outside-'));
  copyFileSync(new URL('../fixtures/astronaut.jpg', import.meta.url), join(dir, 'astronaut.jpg'));
  writeFileSync(join(dir, 'point.json'), JSON.stringify({ x: 10 }));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(outside, 'secret.json'), JSON.stringify({ secret: true }));
  symlinkSync(join(outside, 'secret.json'), join(dir, 'escape.json'));
  return {
    dir, outside,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    },
  };
}

/** A `run` message for a Python program (Simple-ML's own form). */
export const pythonProgram = (files: Files, mainfile = files[0]!.filename) =>
  ({ action: 'run', python: { number: files.length, files, mainfile } });
