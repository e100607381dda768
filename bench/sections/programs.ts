// Section 8 (`--only programs`): runtime programs, from `run` to the `finished` push, through the
// bridge hosting its own page: the first Python program (Pyodide loaded for it), the ones after it
// (each in a fresh worker that was loaded ahead of time), and a JavaScript program beside them.
import WebSocket from 'ws';
import type { BenchRun } from '../bench-run.ts';
import type { Harness } from '../harness.ts';
import { table } from '../lib.ts';

type Files = { filename: string; content: string }[];

const PYTHON: Files = [
  { filename: 'main.py', content: 'import statistics\nfrom data import xs, ys\nfit = statistics.linear_regression(xs, ys)\nslope = fit.slope\nprint(slope)\n' },
  { filename: 'data.py', content: 'xs = list(range(1000))\nys = [3 * x + 2 for x in xs]\n' },
];
const JAVASCRIPT: Files = [{ filename: 'main.js', content: 'export const xs = Array.from({ length: 1000 }, (_, i) => i);\nexport const sum = xs.reduce((s, x) => s + x, 0);\n' }];

/** Runs one program; resolves with the ms from sending `run` to its `finished` push. */
function timeRun(ws: WebSocket, language: 'python' | 'javascript', files: Files): Promise<number> {
  return new Promise((resolve, reject) => {
    const id = `bench-${Math.random()}`;
    const sent = performance.now();
    const onMessage = (data: WebSocket.RawData) => {
      const m = JSON.parse(data.toString()) as { id?: string; type?: string; status?: string; error?: unknown };
      if (m.id !== id) return;
      if (m.error && m.type !== '[state]:EXECUTION_FINISHED') { ws.off('message', onMessage); reject(new Error(JSON.stringify(m))); }
      if (m.type === '[state]:EXECUTION_FINISHED') {
        ws.off('message', onMessage);
        if (m.status === 'finished') resolve(performance.now() - sent);
        else reject(new Error(JSON.stringify(m)));
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ action: 'run', id, [language]: { number: files.length, files, mainfile: files[0]!.filename } }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]!; };

export async function programs(h: Harness, { quick, results, say }: BenchRun) {
  const ws = new WebSocket(h.listeners.runtime!);
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  try {
    const n = quick ? 3 : 8;
    const first = await timeRun(ws, 'python', PYTHON);
    const backToBack: number[] = [];
    for (let i = 0; i < n; i++) backToBack.push(await timeRun(ws, 'python', PYTHON));
    // With a pause: the next worker has had the time to load before its program comes.
    const paused: number[] = [];
    for (let i = 0; i < n; i++) {
      await sleep(3000);
      paused.push(await timeRun(ws, 'python', PYTHON));
    }
    const js: number[] = [];
    for (let i = 0; i < n; i++) js.push(await timeRun(ws, 'javascript', JAVASCRIPT));
    results.programs = { pythonFirstMs: first, pythonBackToBackMs: backToBack, pythonAfterPauseMs: paused, javascriptMs: js };
    const f = (v: number) => (v / 1000).toFixed(2);
    say(table('8. Runtime programs: `run` to `finished` (s), the bridge hosting its page', ['program', 'runs', 'median', 'min', 'max'], [
      ['Python, the first (Pyodide loaded for it)', 1, f(first), f(first), f(first)],
      ['Python, the next ones back to back', n, f(median(backToBack)), f(Math.min(...backToBack)), f(Math.max(...backToBack))],
      ['Python, each after a 3 s pause (a warm worker waiting)', n, f(median(paused)), f(Math.min(...paused)), f(Math.max(...paused))],
      ['JavaScript (a fresh module worker each)', n, f(median(js)), f(Math.min(...js)), f(Math.max(...js))],
    ]));
  } finally {
    ws.close();
  }
}
