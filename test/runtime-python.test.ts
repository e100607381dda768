// Python programs through the runtime WebSocket, end to end: a real `ws` client → bridge → relay →
// headless page → one Pyodide worker per program. The seed's shape (two files, one importing the
// other, a CSV of --data-dir read with csv, a fit, placeholders, stats, a prediction), errors with
// their file and line, packages that are not there, stop, a flood of output, many programs at once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startHarness, until, type Harness } from './helpers/page.ts';
import { RuntimeClient } from './helpers/runtime-client.ts';
import { close, leastSquares, makeDataDir, pythonProgram, type DataDir } from './helpers/runtime-programs.ts';

const MAX_PROGRAMS = 3;

// y = 3x + 2 with a little noise, as the CSV the program reads.
const ROWS = Array.from({ length: 20 }, (_, i) => ({ x: i, y: 3 * i + 2 + ((i % 3) - 1) * 0.5 }));
const CSV = 'x,y\n' + ROWS.map((r) => `${r.x},${r.y}`).join('\n') + '\n';

const PREDICTION_PY = `import csv
import statistics


def load(path):
    with open(path, newline='') as f:
        return [{'x': float(r['x']), 'y': float(r['y'])} for r in csv.DictReader(f)]


class SpeedModel:
    def __init__(self, rows):
        fit = statistics.linear_regression([r['x'] for r in rows], [r['y'] for r in rows])
        self.slope, self.intercept = fit.slope, fit.intercept

    def predict(self, data):
        return {'y': self.slope * data['x'] + self.intercept}
`;
const MAIN_PY = `import logging
from speedPrediction2 import SpeedModel, load

rows = load('/data/seed-speeds.csv')
print('read', len(rows), 'rows')
model = SpeedModel(rows)
logging.info('fitted y = %s x + %s', model.slope, model.intercept)
message = f'trained on {len(rows)} rows'
coefficients = (model.slope, model.intercept)
columns = {'x': [r['x'] for r in rows], 'y': [r['y'] for r in rows]}
unsendable = {1, 2, 3}
`;


describe('Python programs through the real page', () => {
  let h: Harness;
  let c: RuntimeClient;
  let data: DataDir;

  before(async () => {
    data = makeDataDir();
    writeFileSync(join(data.dir, 'seed-speeds.csv'), CSV);
    // The example's data too (examples/runtime/data), for its client below.
    for (const name of ['speeds.csv', 'points.json']) copyFileSync(new URL(`../examples/runtime/data/${name}`, import.meta.url), join(data.dir, name));
    h = await startHarness({ runtimePort: 0, dataDir: data.dir, programTimeout: 60, maxPrograms: MAX_PROGRAMS, maxBody: 4 * 1024 * 1024 });
    c = await RuntimeClient.connect(h.bridge.listeners.runtime!);
  });
  after(async () => {
    c?.close();
    await h?.close();
    data?.remove();
  });

  describe("the seed's program: two files, a CSV, a fit", () => {
    let sessionId: string;
    const fit = leastSquares(ROWS);

    it('runs to finished, with print() and logging lines in its log', async () => {
      const run = await c.request(pythonProgram([{ filename: 'speedmain.py', content: MAIN_PY }, { filename: 'speedPrediction2.py', content: PREDICTION_PY }]));
      assert.equal(run.type, '[status]:EXECUTION_STARTED', JSON.stringify(run));
      sessionId = run.sessionId;
      const end = await c.finished(sessionId, 60_000);
      const status = await c.request({ action: 'status', sessionId });
      assert.equal(end.status, 'finished', JSON.stringify(status));
      assert.equal(status.status, 'finished');
      assert.ok(status.log.includes('read 20 rows'), JSON.stringify(status.log));
      assert.ok(status.log.some((l: string) => l.startsWith('INFO:root:fitted y = ')), JSON.stringify(status.log));
      assert.deepEqual([...status.placeholders].sort(), ['coefficients', 'columns', 'message', 'rows']);
      assert.deepEqual(status.models, ['model']);
    });

    it('get_placeholder: the main module\'s values as JSON (a tuple as a list)', async () => {
      const message = await c.request({ action: 'get_placeholder', placeholder: { sessionId, name: 'message' } });
      assert.equal(message.value, 'trained on 20 rows');
      const coefficients = await c.request({ action: 'get_placeholder', placeholder: { sessionId, name: 'coefficients' } });
      close(coefficients.value[0], fit.slope, 'slope');
      close(coefficients.value[1], fit.intercept, 'intercept');
      const unsendable = await c.request({ action: 'get_placeholder', placeholder: { sessionId, name: 'unsendable' } });
      assert.equal(unsendable.code, 'not_found');
    });

    it('get_stats: a list of dicts and a dict of columns give the same table', async () => {
      for (const name of ['rows', 'columns']) {
        const stats = await c.request({ action: 'get_stats', placeholder: { sessionId, name } });
        assert.deepEqual(stats.shape, [20, 2], JSON.stringify(stats));
        assert.equal(stats.columns.x.numberOfValues, 20);
        close(stats.columns.y.mean, ROWS.reduce((s, r) => s + r.y, 0) / 20, `${name} y mean`);
      }
    });

    it('run_model: the model object\'s predict, with data inline and from a --data-dir file', async () => {
      const inline = await c.request({ action: 'run_model', model: { sessionId, name: 'model', is_data: true, data: { x: 10 } } });
      close(inline.output.y, fit.slope * 10 + fit.intercept, 'prediction');
      const fromFile = await c.request({ action: 'run_model', model: { sessionId, name: 'model', is_data: false, data: 'point.json' } });
      close(fromFile.output.y, fit.slope * 10 + fit.intercept, 'prediction from point.json');
    });
  });

  describe('programs that fail', () => {
    it('an exception: failed, with the file and line of the raise, and the traceback in program file names', async () => {
      const run = await c.request(pythonProgram([
        { filename: 'main.py', content: 'from check import check\n\ncheck(-1)\n' },
        { filename: 'check.py', content: 'def check(n):\n    if n < 0:\n        raise ValueError(f"n must be positive, got {n}")\n' },
      ]));
      const end = await c.finished(run.sessionId, 60_000);
      assert.equal(end.status, 'failed');
      assert.equal(end.error.name, 'ValueError');
      assert.equal(end.error.message, 'n must be positive, got -1');
      assert.equal(end.error.location, 'check.py:3');
      assert.match(end.error.stack, /File "main\.py", line 3/);
      assert.match(end.error.stack, /File "check\.py", line 3, in check/);
      assert.doesNotMatch(end.error.stack, /\/program\/|pagebridge_runner|_pyodide/);
    });

    it('a syntax error in an imported file: failed, with that file, line and column', async () => {
      const run = await c.request(pythonProgram([
        { filename: 'main.py', content: 'import broken\n' },
        { filename: 'broken.py', content: 'a = 1\nb = (2 +\n' },
      ]));
      const end = await c.finished(run.sessionId, 60_000);
      assert.equal(end.status, 'failed');
      assert.equal(end.error.name, 'SyntaxError');
      assert.equal(end.error.file, 'broken.py');
      assert.equal(end.error.line, 2);
    });

    it('import numpy: failed, saying that only the standard library is there, and why', async () => {
      const run = await c.request(pythonProgram([{ filename: 'main.py', content: 'import json\n\nimport numpy as np\n' }]));
      const end = await c.finished(run.sessionId, 60_000);
      assert.equal(end.status, 'failed');
      assert.equal(end.error.name, 'ModuleNotFoundError');
      assert.equal(end.error.location, 'main.py:3');
      assert.match(end.error.message, /No module named 'numpy'/);
      assert.match(end.error.message, /standard library of Python 3\.\d+ only/);
      assert.match(end.error.message, /no network/);
      assert.doesNotMatch(JSON.stringify(end.error), /micropip|loadPackage/); // Pyodide's advice would not work here
    });

    it('sys.exit(0) is a finish, sys.exit(3) a failure', async () => {
      const ok = await c.request(pythonProgram([{ filename: 'main.py', content: 'import sys\nanswer = 42\nsys.exit(0)\n' }]));
      assert.equal((await c.finished(ok.sessionId, 60_000)).status, 'finished');
      assert.equal((await c.request({ action: 'get_placeholder', placeholder: { sessionId: ok.sessionId, name: 'answer' } })).value, 42);
      const bad = await c.request(pythonProgram([{ filename: 'main.py', content: 'import sys\nsys.exit(3)\n' }]));
      const end = await c.finished(bad.sessionId, 60_000);
      assert.equal(end.status, 'failed');
      assert.equal(end.error.name, 'SystemExit');
    });
  });

  it('stop: an endless loop gets KeyboardInterrupt and its values so far stay readable; one that catches it is ended all the same', async () => {
    const run = await c.request(pythonProgram([{ filename: 'main.py', content: "before = 'the loop started'\nprint('spinning', flush=True)\nwhile True:\n    pass\n" }]));
    await until(async () => (await c.request({ action: 'status', sessionId: run.sessionId })).log.includes('spinning'), 60_000, 'the program to spin');
    const stopped = await c.request({ action: 'stop', sessionId: run.sessionId });
    assert.equal(stopped.status, 'stopped');
    assert.equal((await c.finished(run.sessionId)).status, 'stopped');
    // Read from the main module after the KeyboardInterrupt: the interrupt landed.
    assert.equal((await c.request({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'before' } })).value, 'the loop started');

    const stubborn = await c.request(pythonProgram([{ filename: 'main.py', content: "print('spinning', flush=True)\nwhile True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass\n" }]));
    await until(async () => (await c.request({ action: 'status', sessionId: stubborn.sessionId })).log.includes('spinning'), 60_000, 'the program to spin');
    assert.equal((await c.request({ action: 'stop', sessionId: stubborn.sessionId })).status, 'stopped');
    assert.equal((await c.finished(stubborn.sessionId)).status, 'stopped');
  });

  it('a program printing 100,000 lines: the log keeps the last 1000 and counts the rest', async () => {
    const run = await c.request(pythonProgram([{ filename: 'main.py', content: 'for i in range(100_000):\n    print(i)\ndone = True\n' }]));
    const end = await c.finished(run.sessionId, 120_000);
    assert.equal(end.status, 'finished', JSON.stringify(end).slice(0, 500));
    const status = await c.request({ action: 'status', sessionId: run.sessionId });
    assert.equal(status.log.length, 1000);
    assert.equal(status.logDropped, 99_000);
    assert.equal(status.log.at(-1), '99999');
    assert.equal(status.log[0], '99000');
  });

  it(`--max-programs (${MAX_PROGRAMS}) Python programs run at once; one more is busy; each finishes with its own values`, async () => {
    const spin = (n: number) => pythonProgram([{ filename: 'main.py', content: `mine = ${n}\nprint('spinning', flush=True)\nwhile True:\n    pass\n` }]);
    const runs = [];
    for (let n = 0; n < MAX_PROGRAMS; n++) runs.push(await c.request(spin(n)));
    for (const r of runs) assert.equal(r.status, 'running', JSON.stringify(r));
    const extra = await c.request(spin(99));
    assert.equal(extra.code, 'busy', JSON.stringify(extra));
    for (const r of runs) await until(async () => (await c.request({ action: 'status', sessionId: r.sessionId })).log.includes('spinning'), 120_000, 'every program to spin');
    for (const [n, r] of runs.entries()) {
      assert.equal((await c.request({ action: 'stop', sessionId: r.sessionId })).status, 'stopped');
      assert.equal((await c.request({ action: 'get_placeholder', placeholder: { sessionId: r.sessionId, name: 'mine' } })).value, n);
    }
  });

  it("the example client runs examples/runtime/python and reads what it left", async () => {
    const client = fileURLToPath(new URL('../examples/runtime/client.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [client, '--python', h.bridge.listeners.runtime!], { timeout: 120_000 });
    assert.match(stdout, /^finished in \d+ ms$/m);
    assert.match(stdout, /log: read 50 rows/);
    assert.match(stdout, /log: INFO:root:trained: y = 1\.\d+ x \+ 0\.\d+/);
    assert.match(stdout, /training data: shape \[50,2\]/);
    assert.match(stdout, /line at x = 2: \{ y: 3\.3\d+ \}/); // 1.5 × 2 + 0.3, fitted to noisy data
    assert.equal(stdout.split('line at points.json:')[1]?.match(/\{ y: [\d.]+ \}/g)?.length, 3, stdout);
  });

  it('a Python program reaches no network and nothing of the page: not fetch, XMLHttpRequest, WebSocket, pyodide.http, nor the token', async () => {
    const run = await c.request(pythonProgram([{ filename: 'main.py', content: `
def attempt(f):
    try:
        f()
        return 'reached'
    except BaseException as e:
        return 'blocked: ' + type(e).__name__ + ': ' + str(e)[:300]

def js_fetch():
    from js import fetch
    fetch('${h.url}/health')

def js_xhr():
    from js import XMLHttpRequest
    XMLHttpRequest.new()

def js_socket():
    from js import WebSocket
    WebSocket.new('${h.bridge.listeners.runtime}')

def run_js():
    from pyodide.code import run_js
    run_js("fetch('${h.url}/health')")

async def pyfetch():
    import pyodide.http
    return await pyodide.http.pyfetch('${h.url}/health')

def function_constructor():
    # JavaScript's Function constructor reaches the worker's real globals: the Content-Security-Policy
    # forbids it (no eval), and would forbid the fetch.
    import pyodide_js
    pyodide_js.constructor.constructor("return fetch('${h.url}/health')")()

def urllib_open():
    import urllib.request
    urllib.request.urlopen('${h.url}/health', timeout=2)

import js
names = sorted(dir(js))
attempts = {'fetch': attempt(js_fetch), 'xhr': attempt(js_xhr), 'socket': attempt(js_socket), 'run_js': attempt(run_js), 'urllib': attempt(urllib_open), 'function': attempt(function_constructor)}
try:
    await pyfetch()
    attempts['pyfetch'] = 'reached'
except BaseException as e:
    attempts['pyfetch'] = 'blocked: ' + type(e).__name__
import os
env = dict(os.environ)
` }]));
    const end = await c.finished(run.sessionId, 60_000);
    assert.equal(end.status, 'finished', JSON.stringify(end));
    const attempts = (await c.request({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'attempts' } })).value;
    assert.ok('function' in attempts && 'pyfetch' in attempts, JSON.stringify(attempts));
    // The Function constructor was there, and the policy refused it (no eval): the policy holds.
    assert.match(attempts.function, /EvalError|unsafe-eval|Content Security Policy/i, attempts.function);
    // The js module is an empty object: nothing of the worker (its globals, its messages) is in it.
    const names = (await c.request({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'names' } })).value as string[];
    for (const name of ['fetch', 'postMessage', 'self', 'WebSocket', 'XMLHttpRequest', 'location']) assert.ok(!names.includes(name), name);
    for (const [what, result] of Object.entries(attempts)) assert.match(String(result), /^blocked/, `${what}: ${String(result)}`);
    const env = (await c.request({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'env' } })).value;
    assert.ok(!JSON.stringify(env).includes(h.bridge.token), 'the token is in the environment');
  });
});

