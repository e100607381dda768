// Python programs through the runtime WebSocket, end to end: a real `ws` client → bridge → relay →
// headless page → one Pyodide worker per program. The seed's shape (two files, one importing the
// other, a CSV of --data-dir read with csv, a fit, placeholders, stats, a prediction), errors with
// their file and line, packages that are not there, stop, a flood of output, many programs at once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, until, type Harness } from './helpers/page.ts';
import { RuntimeClient } from './helpers/runtime-client.ts';
import { makeDataDir, pythonProgram, type DataDir } from './helpers/runtime-programs.ts';

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

rows = load('/data/speeds.csv')
print('read', len(rows), 'rows')
model = SpeedModel(rows)
logging.info('fitted y = %s x + %s', model.slope, model.intercept)
message = f'trained on {len(rows)} rows'
coefficients = (model.slope, model.intercept)
columns = {'x': [r['x'] for r in rows], 'y': [r['y'] for r in rows]}
unsendable = {1, 2, 3}
`;

function leastSquares(rows: { x: number; y: number }[]) {
  const n = rows.length;
  const sx = rows.reduce((s, r) => s + r.x, 0);
  const sy = rows.reduce((s, r) => s + r.y, 0);
  const sxy = rows.reduce((s, r) => s + r.x * r.y, 0);
  const sxx = rows.reduce((s, r) => s + r.x * r.x, 0);
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  return { slope, intercept: (sy - slope * sx) / n };
}
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} is not ${b}`);

describe('Python programs through the real page', () => {
  let h: Harness;
  let c: RuntimeClient;
  let data: DataDir;

  before(async () => {
    data = makeDataDir();
    writeFileSync(join(data.dir, 'speeds.csv'), CSV);
    h = await startHarness({ runtimePort: 0, dataDir: data.dir, programTimeout: 60, maxPrograms: MAX_PROGRAMS, maxBody: 4 * 1024 * 1024 });
    c = await RuntimeClient.connect(h.bridge.listeners.runtime!);
  });
  after(async () => {
    c?.close();
    await h?.close();
    data?.remove();
  });

  describe("the seed's program: two files, a CSV, a fit", () => {
    let sessionId: number;
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
});
