// Unit tests of the Python programs' pure parts: the Python side of the runner (web/programs/python/
// runner.py) in Pyodide itself (its Node build, the same interpreter the page runs), and the bridge's
// copy of --data-dir for a program (bridge/data-dir.ts readDataTree).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPyodide, type PyodideAPI } from 'pyodide';
import { readDataTree } from '../bridge/data-dir.ts';

type PyFn = (...args: unknown[]) => unknown;

describe('runner.py in Pyodide', () => {
  let py: PyodideAPI;
  let fns: { toJsonText: PyFn; run: PyFn; predict: PyFn; start: PyFn };
  const posted: [string, unknown][] = [];
  const lines: string[] = [];
  /** runner.run() on files (and data files), its JSON answer parsed. */
  const run = async (files: [string, string][], mainfile = files[0]![0], data: [string, Uint8Array][] = []) =>
    JSON.parse(String(await fns.run(py.toPy(files), mainfile, py.toPy(data)))) as Record<string, any>;

  before(async () => {
    py = await loadPyodide({ jsglobals: Object.create(null) as object });
    py.setStdout({ batched: (l) => lines.push(l) });
    py.setStderr({ batched: (l) => lines.push(l) });
    const ns = (py.globals.get('dict') as PyFn)() as { get(name: string): PyFn };
    py.runPython(readFileSync(new URL('../web/programs/python/runner.py', import.meta.url), 'utf8'), { globals: ns as never });
    fns = { toJsonText: ns.get('to_json_text'), run: ns.get('run'), predict: ns.get('predict'), start: ns.get('start') };
    fns.start((kind: string, json: string) => posted.push([kind, JSON.parse(json)]), 7);
  });
  after(() => { /* the interpreter goes with the process */ });

  it('to_json: the JSON form of Python values, as json.dumps writes them', () => {
    const cases: [string, unknown][] = [
      ['(1, 2.5, "a", None, True)', [1, 2.5, 'a', null, true]],
      ['{1: "one", 2.5: [], None: 0, False: {}}', { 1: 'one', '2.5': [], null: 0, false: {} }],
      ['[float("nan"), float("inf"), -float("inf")]', [null, null, null]],
      ['2**60', '1152921504606846976'], // past 2**53: a string, or it would lose digits
      ['-(2**53 - 1)', -(2 ** 53 - 1)],
      ['{"nested": [(1, [2, (3,)])]}', { nested: [[1, [2, [3]]]] }],
    ];
    for (const [expr, want] of cases) assert.deepEqual(JSON.parse(String(fns.toJsonText(py.runPython(expr)))), want, expr);
  });

  it('to_json: a set, an object, a function or a tuple key has no JSON form, and the error says what it met', () => {
    for (const [expr, what] of [['{1, 2}', 'set'], ['object()', 'object'], ['len', 'builtin_function_or_method'], ['{(1, 2): 3}', 'a dict key of type tuple'], ['[1, {2}]', 'set']]) {
      assert.throws(() => fns.toJsonText(py.runPython(expr!)), (e: Error) => e.message.includes('NoJsonForm') && e.message.includes(what!), expr);
    }
  });

  it('run: files import each other, mainfile is __main__, data files are read-only under /data; placeholders and models', async () => {
    const answer = await run([
      ['main.py', "import pagebridge\nfrom lib.util import double\nwith open('/data/sub/n.txt') as f:\n    n = int(f.read())\nresult = double(n)\nname = __name__\n" +
        "try:\n    open('/data/sub/n.txt', 'w')\n    writable = True\nexcept PermissionError:\n    writable = False\nclass Twice:\n    def predict(self, x):\n        return double(x)\ntwice = Twice()\ndef triple(x):\n    return 3 * x\nhidden = {1, 2}\n_private = 1\npagebridge.log('session', pagebridge.session_id)\n"],
      ['lib/__init__.py', ''],
      ['lib/util.py', 'def double(x):\n    return 2 * x\n'],
    ], 'main.py', [['sub/n.txt', new TextEncoder().encode('21')]]);
    assert.equal(answer.status, 'finished', JSON.stringify(answer));
    const values = Object.fromEntries(Object.entries(answer.placeholders as Record<string, string>).map(([k, v]) => [k, JSON.parse(v)]));
    assert.deepEqual(values, { n: 21, result: 42, name: '__main__', writable: false });
    assert.deepEqual(answer.models.sort(), ['triple', 'twice']); // not the imported double, nor the class
    assert.deepEqual(posted.at(-1), ['log', { line: 'session 7' }]);
    assert.deepEqual(JSON.parse(String(await fns.predict('twice', '4'))), { value: 8 });
    assert.deepEqual(JSON.parse(String(await fns.predict('triple', '[1]'))), { value: [1, 1, 1] });
    // A model's error names the program's file and line where it was raised.
    assert.deepEqual(JSON.parse(String(await fns.predict('twice', '{}'))), { error: "TypeError: unsupported operand type(s) for *: 'int' and 'dict' (lib/util.py:2)" });
    assert.match(String(JSON.parse(String(await fns.predict('nothing', '1'))).error), /no model 'nothing' \(models: /);
  });
});

describe('readDataTree: --data-dir for a Python program', () => {
  let dir: string;
  let outside: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pagebridge-tree-'));
    outside = mkdtempSync(join(tmpdir(), 'pagebridge-outside-'));
    writeFileSync(join(dir, 'a.csv'), 'x\n1\n');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'b.json'), '{}');
    writeFileSync(join(dir, 'sub', 'big.bin'), Buffer.alloc(100));
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'escape.txt'));
    symlinkSync(join(dir, 'a.csv'), join(dir, 'alias.csv'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('every file inside, links only where they stay inside, paths relative with /', async () => {
    const files = await readDataTree(dir, 1000, () => assert.fail('nothing is left out'));
    assert.deepEqual(files.map((f) => f.path), ['a.csv', 'alias.csv', 'sub/b.json', 'sub/big.bin']);
    assert.equal(Buffer.from(files[0]!.bytes).toString(), 'x\n1\n');
  });

  it('files past the total are left out, each told', async () => {
    const skipped: string[] = [];
    const files = await readDataTree(dir, 50, (why) => skipped.push(why));
    assert.deepEqual(files.map((f) => f.path), ['a.csv', 'alias.csv', 'sub/b.json']);
    assert.equal(skipped.length, 1);
    assert.match(skipped[0]!, /"sub\/big\.bin" \(100 bytes\) is left out of \/data/);
  });

  it('a missing folder is no files', async () => {
    assert.deepEqual(await readDataTree(join(dir, 'none'), 1000, () => {}), []);
  });
});
