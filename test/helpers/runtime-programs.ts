// What the runtime WebSocket's end-to-end tests share: a program message, and a --data-dir holding
// an image, a JSON file, a folder, and a link that leads out of it.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

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

/** The least-squares line through the rows, computed here to check what a program fitted. */
export function leastSquares(rows: { x: number; y: number }[]) {
  const n = rows.length;
  const sx = rows.reduce((s, r) => s + r.x, 0);
  const sy = rows.reduce((s, r) => s + r.y, 0);
  const sxy = rows.reduce((s, r) => s + r.x * r.y, 0);
  const sxx = rows.reduce((s, r) => s + r.x * r.x, 0);
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  return { slope, intercept: (sy - slope * sx) / n };
}

export const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} is not ${b}`);
