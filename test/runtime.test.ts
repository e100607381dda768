// The runtime WebSocket end to end: a real `ws` client → bridge → relay → headless page → one worker
// per program. Programs, their placeholders and models, page models, limits, a page leaving
// (bad requests: runtime-requests.test.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { dataUri, postJson, startHarness, until, type Harness } from './helpers/page.ts';
import { RuntimeClient } from './helpers/runtime-client.ts';
import { addBiasModel } from './helpers/onnx.ts';
import { assertFaces } from './helpers/assertions.ts';
import { close, leastSquares, makeDataDir, program, type DataDir } from './helpers/runtime-programs.ts';

const PROGRAM_TIMEOUT_S = 8;
const MAX_PROGRAMS = 3;

// ── the two-file program: training data and a line fitted to it ────────────────────────────────
const DATA_JS = `// y = 3x + 2, with a little noise
export const table = Array.from({ length: 20 }, (_, i) => ({ x: i, y: 3 * i + 2 + ((i % 3) - 1) * 0.5 }));

export function fitLine(rows) {
  const n = rows.length;
  const mx = rows.reduce((s, r) => s + r.x, 0) / n;
  const my = rows.reduce((s, r) => s + r.y, 0) / n;
  let sxy = 0, sxx = 0;
  for (const r of rows) { sxy += (r.x - mx) * (r.y - my); sxx += (r.x - mx) ** 2; }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}
`;
const MAIN_JS = `import { table, fitLine } from './data.js';
import { log, setPlaceholder } from 'pagebridge:runtime';

setPlaceholder('progress', 0);
await new Promise((r) => setTimeout(r, 1500)); // long enough for the test to see "running"
const { slope, intercept } = fitLine(table);
log('fitted y = ' + slope + ' x + ' + intercept);
export const message = 'trained on ' + table.length + ' rows';
export const samples = table;
export const coefficients = new Float64Array([slope, intercept]);
export const line = { predict: ({ x }) => ({ y: slope * x + intercept }) };
setPlaceholder('progress', 1);
`;
// The same data and fit, computed here.
const TABLE = Array.from({ length: 20 }, (_, i) => ({ x: i, y: 3 * i + 2 + ((i % 3) - 1) * 0.5 }));
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const populationStd = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));

describe('runtime WebSocket through the real page', () => {
  let h: Harness;
  let c: RuntimeClient;
  let data: DataDir;

  before(async () => {
    data = makeDataDir();
    h = await startHarness({ runtimePort: 0, dataDir: data.dir, programTimeout: PROGRAM_TIMEOUT_S, maxPrograms: MAX_PROGRAMS, maxBody: 4 * 1024 * 1024 });
    c = await RuntimeClient.connect(h.bridge.listeners.runtime!);
  });
  after(async () => {
    c?.close();
    await h?.close();
    data?.remove();
  });

  describe('a two-file program', () => {
    let sessionId: string;
    let fit: { slope: number; intercept: number };
    before(() => { fit = leastSquares(TABLE); });

    it('runs: the reply comes at once, status goes from running to finished', async () => {
      const run = await c.request(program([{ filename: 'main.js', content: MAIN_JS }, { filename: 'data.js', content: DATA_JS }]));
      assert.equal(run.action, 'run');
      assert.equal(run.type, '[status]:EXECUTION_STARTED');
      assert.equal(run.status, 'running');
      assert.match(run.sessionId, /^[0-9a-f]{32}$/);
      sessionId = run.sessionId;

      const running = await c.request({ action: 'status', sessionId });
      assert.equal(running.status, 'running');
      assert.equal(running.endedAt, null);
      // A placeholder set while running can be read while running (once the worker has started).
      const progress = await until(async () => {
        const reply = await c.request({ action: 'get_placeholder', placeholder: { sessionId, name: 'progress' } });
        return reply.error ? undefined : reply;
      }, 10_000, 'the progress placeholder');
      assert.equal(progress?.value, 0);
      assert.equal((await c.request({ action: 'status', sessionId })).status, 'running');

      const end = await c.finished(sessionId);
      assert.equal(end.action, 'run');
      assert.equal(end.status, 'finished');
      const finished = await c.request({ action: 'status', sessionId });
      assert.equal(finished.status, 'finished');
      assert.ok(Date.parse(finished.endedAt) >= Date.parse(finished.startedAt));
      assert.ok(finished.log.some((l: string) => l.startsWith('fitted y = ')), JSON.stringify(finished.log));
      assert.deepEqual([...finished.placeholders].sort(), ['coefficients', 'message', 'progress', 'samples']);
      assert.deepEqual(finished.models, ['line']);
    });

    it('get_placeholder returns exported values (typed arrays as arrays)', async () => {
      const message = await c.request({ action: 'get_placeholder', placeholder: { sessionId, name: 'message' } });
      assert.equal(message.type, '[placeholder]:VALUE');
      assert.equal(message.name, 'message');
      assert.equal(message.value, 'trained on 20 rows');
      const coefficients = await c.request({ action: 'get_placeholder', placeholder: { sessionId, name: 'coefficients' } });
      assert.ok(Array.isArray(coefficients.value));
      close(coefficients.value[0], fit.slope, 'slope');
      close(coefficients.value[1], fit.intercept, 'intercept');
      const progress = await c.request({ action: 'get_placeholder', placeholder: { sessionId, name: 'progress' } });
      assert.equal(progress.value, 1);
    });

    it('get_stats on an exported table gives shape, mean and population std per column', async () => {
      const stats = await c.request({ action: 'get_stats', placeholder: { sessionId, name: 'samples' } });
      assert.equal(stats.type, '[placeholder]:STATS');
      assert.deepEqual(stats.shape, [20, 2]);
      for (const column of ['x', 'y'] as const) {
        const values = TABLE.map((r) => r[column]);
        const s = stats.columns[column];
        assert.equal(s.numberOfValues, 20);
        assert.equal(s.numberOfNullValues, 0);
        close(s.mean, mean(values), `${column} mean`);
        close(s.standardDeviation, populationStd(values), `${column} std`);
        assert.equal(s.minimum, Math.min(...values));
        assert.equal(s.maximum, Math.max(...values));
        assert.equal(s.deciles.length, 11);
        assert.equal(s.histogram.reduce((n: number, b: any) => n + b.value, 0), 20);
      }
    });

    it('run_model runs the model the program exported', async () => {
      const out = await c.request({ action: 'run_model', model: { sessionId, name: 'line', is_data: true, data: { x: 10 } } });
      assert.equal(out.action, 'run_model');
      close(out.output.y, fit.slope * 10 + fit.intercept, 'prediction');
    });

    it('run_model reads is_data:false data from --data-dir', async () => {
      const out = await c.request({ action: 'run_model', model: { sessionId, name: 'line', is_data: false, data: 'point.json' } });
      close(out.output.y, fit.slope * 10 + fit.intercept, 'prediction from point.json');
    });

    it('get_stats on non-numeric data is a clear error', async () => {
      const reply = await c.request({ action: 'get_stats', placeholder: { sessionId, name: 'message' } });
      assert.match(reply.error, /placeholder "message": statistics need numbers, an array or a table; this is the string "trained on 20 rows"/);
    });
  });

  it('run_model with no sessionId queries a page model (face-detection), from data or a --data-dir image', async () => {
    const out = await c.request({ action: 'run_model', model: { name: 'face-detection', is_data: true, data: { image: dataUri('astronaut.jpg', 'image/jpeg') } } });
    assert.equal(out.name, 'face-detection');
    assertFaces(out.output);
    const fromFile = await c.request({ action: 'run_model', model: { name: 'face-detection', is_data: false, data: 'astronaut.jpg' } });
    assertFaces(fromFile.output);
  });

  it('a program queries page models, and registers an ONNX model from bytes', async () => {
    const onnx = Buffer.from(addBiasModel([10, 20, 30])).toString('base64');
    const run = await c.request(program([{ filename: 'main.js', content: `import { models, registerModel } from 'pagebridge:runtime';
const ids = (await models.list()).map((m) => m.id);
const { faces } = await models.query('face-detection', { image: '${dataUri('astronaut.jpg', 'image/jpeg')}' });
export const found = { ids, best: Math.max(...faces.map((f) => f.score)) };
await registerModel('adder', Uint8Array.from(atob('${onnx}'), (c) => c.charCodeAt(0)));
` }]));
    const end = await c.finished(run.sessionId);
    assert.equal(end.status, 'finished', JSON.stringify(end.error));
    const found = await c.request({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'found' } });
    assert.ok(found.value.ids.includes('face-detection'));
    assert.ok(found.value.best > 0.5, JSON.stringify(found.value));
    const sum = await c.request({ action: 'run_model', model: { sessionId: run.sessionId, name: 'adder', data: { x: { dims: [1, 3], data: [1, 2, 3] } } } });
    assert.deepEqual(sum.output, { y: { dims: [1, 3], dtype: 'float32', data: [11, 22, 33] } });
  });

  it('a program reaches no network: not the bridge, not anything else', async () => {
    const run = await c.request(program([{ filename: 'main.js', content: `
const attempt = async (f) => { try { await f(); return 'reached'; } catch (e) { return 'blocked'; } };
export const http = await attempt(() => fetch('${h.url}/health'));
export const socket = await attempt(() => new Promise((ok, fail) => { const ws = new WebSocket('${h.bridge.listeners.runtime}'); ws.onopen = ok; ws.onerror = fail; }));
` }]));
    assert.equal((await c.finished(run.sessionId)).status, 'finished');
    for (const name of ['http', 'socket']) {
      const v = await c.request({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name } });
      assert.equal(v.value, 'blocked', `${name} was reached`);
    }
  });

  describe('programs that fail', () => {
    it('a program that throws: failed, with the message, the file and the line', async () => {
      const run = await c.request(program([
        { filename: 'main.js', content: "import { check } from './check.js';\n\ncheck(-1);\n" },
        { filename: 'check.js', content: 'export function check(n) {\n  if (n < 0) {\n    throw new RangeError(`n must be positive, got ${n}`);\n  }\n}\n' },
      ]));
      const end = await c.finished(run.sessionId);
      assert.equal(end.status, 'failed');
      const status = await c.request({ action: 'status', sessionId: run.sessionId });
      assert.equal(status.status, 'failed');
      assert.equal(status.error.name, 'RangeError');
      assert.equal(status.error.message, 'n must be positive, got -1');
      assert.equal(status.error.location, 'check.js:3');
      assert.equal(status.error.file, 'check.js');
      assert.equal(status.error.line, 3);
      assert.match(status.error.stack, /check\.js:3/);
      assert.match(status.error.stack, /main\.js:3/);
    });

    it('a syntax error: failed, with its file and line', async () => {
      const run = await c.request(program([
        { filename: 'main.js', content: "import './broken.js';\n" },
        { filename: 'broken.js', content: 'const a = 1;\nconst b = ;\n' },
      ]));
      const end = await c.finished(run.sessionId);
      assert.equal(end.status, 'failed');
      assert.equal(end.error.name, 'SyntaxError');
      assert.equal(end.error.location, 'broken.js:2');
    });

    it('an import of something that is not a program file: failed, naming it and its line', async () => {
      const run = await c.request(program([{ filename: 'main.js', content: "// uses lodash\n\nimport _ from 'lodash';\n" }]));
      const end = await c.finished(run.sessionId);
      assert.equal(end.status, 'failed');
      assert.match(end.error.message, /imports "lodash", which is neither a file of the program nor "pagebridge:runtime"/);
      assert.equal(end.error.location, 'main.js:3');
    });
  });

  it('stop ends while(true){} at once, and other requests are served meanwhile', async () => {
    const run = await c.request(program([{ filename: 'main.js', content: "import { log } from 'pagebridge:runtime';\nlog('spinning');\nwhile (true) {}\n" }]));
    await until(async () => (await c.request({ action: 'status', sessionId: run.sessionId })).log.includes('spinning'), 10_000, 'the program to spin');
    // The page and the bridge go on: a face query over HTTP, and status from another client.
    const face = await postJson(`${h.url}/query`, { image: dataUri('astronaut.jpg', 'image/jpeg') });
    assert.equal(face.status, 200);
    assertFaces(face.body);
    const other = await RuntimeClient.connect(h.bridge.listeners.runtime!);
    try {
      assert.equal((await other.request({ action: 'status', sessionId: run.sessionId })).status, 'running');
    } finally {
      other.close();
    }
    const asked = Date.now();
    const stopped = await c.request({ action: 'stop', sessionId: run.sessionId });
    const took = Date.now() - asked;
    assert.equal(stopped.status, 'stopped');
    assert.ok(took < 2000, `stop took ${took} ms`); // a correctness bound: a worker is terminated, not asked
    assert.equal((await c.finished(run.sessionId)).status, 'stopped');
    assert.equal((await c.request({ action: 'status', sessionId: run.sessionId })).status, 'stopped');
  });

  it(`the wall-clock limit (--program-timeout ${PROGRAM_TIMEOUT_S} s) fails a program that runs on`, async () => {
    const run = await c.request(program([{ filename: 'main.js', content: 'while (true) {}\n' }]));
    const end = await c.finished(run.sessionId, (PROGRAM_TIMEOUT_S + 20) * 1000);
    assert.equal(end.status, 'failed');
    assert.match(end.error.message, new RegExp(`wall-clock limit of ${PROGRAM_TIMEOUT_S} s \\(--program-timeout\\)`));
  });

  it(`at most ${MAX_PROGRAMS} programs run at once on a page (--max-programs)`, async () => {
    const spin = program([{ filename: 'main.js', content: 'while (true) {}\n' }]);
    const ids: number[] = [];
    try {
      for (let i = 0; i < MAX_PROGRAMS; i++) ids.push((await c.request(spin)).sessionId);
      const refused = await c.request(spin);
      assert.match(refused.error, new RegExp(`runs ${MAX_PROGRAMS} programs already, the most allowed \\(--max-programs\\)`));
      assert.equal(refused.code, 'busy');
    } finally {
      for (const sessionId of ids) assert.equal((await c.request({ action: 'stop', sessionId })).status, 'stopped');
    }
    const again = await c.request(program([{ filename: 'main.js', content: 'export const ok = true;\n' }]));
    assert.equal((await c.finished(again.sessionId)).status, 'finished');
  });

  it('the page going away fails its running programs at once; a new page runs programs again', async () => {
    const run = await c.request(program([{ filename: 'main.js', content: 'while (true) {}\n' }]));
    await h.page.close({ runBeforeUnload: false });
    const end = await c.finished(run.sessionId, 10_000);
    assert.equal(end.status, 'failed');
    assert.match(end.error.message, /the page running the program went away/);
    const status = await c.request({ action: 'status', sessionId: run.sessionId });
    assert.equal(status.status, 'failed');
    const none = await c.request(program([{ filename: 'main.js', content: '' }]));
    assert.match(none.error, /no page is connected/);
    await h.openPage();
    const again = await c.request(program([{ filename: 'main.js', content: 'export const ok = 1;\n' }]));
    assert.equal((await c.finished(again.sessionId)).status, 'finished');
  });
});
