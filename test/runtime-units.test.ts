// Unit tests of the runtime WebSocket's pure parts: statistics, the data folder's containment, CSV,
// a program's module graph, and values as JSON.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { columnStats, quantile, statistics, StatsError } from '../web/programs/stats.ts';
import { parseCsv, readDataFile, resolveInDataDir } from '../bridge/data-dir.ts';
import { BridgeError } from '../bridge/core/errors.ts';
import {
  blankComments, findImports, locateError, parseOnlyScript, planProgram, programStack, ProgramError, resolveImport,
  rewriteImports, RUNTIME,
} from '../web/programs/modules.ts';
import { MAX_PLACEHOLDER_CHARS, placeholderTooLarge, toPlain, toPlainWithin, TooLargeError } from '../web/programs/values.ts';
import { programHostUrl } from '../web/programs/frames.ts';
import { workersUrl } from '../web/programs/frame-link.ts';

const near = (a: number | null, b: number, what = 'value') => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${what}: ${a} is not ${b}`);

describe('statistics', () => {
  it('a flat array: Simple-ML names, population std, median, deciles, histogram', () => {
    const s = statistics([2, 4, 4, 4, 5, 5, 7, 9]);
    assert.deepEqual(s.shape, [8]);
    const v = s.columns.value!;
    assert.equal(v.numberOfValues, 8);
    assert.equal(v.numberOfNullValues, 0);
    assert.equal(v.numberOfDistinctValues, 5);
    assert.equal(v.minimum, 2);
    assert.equal(v.maximum, 9);
    near(v.mean, 5, 'mean');
    near(v.standardDeviation, 2, 'population std'); // the textbook example: sample std would be 2.138
    near(v.median, 4.5, 'median');
    assert.equal(v.deciles.length, 11);
    assert.equal(v.deciles[0], 2);
    assert.equal(v.deciles[10], 9);
    near(v.deciles[5]!, 4.5, 'fifth decile');
    assert.equal(v.histogram.length, 5); // min(10, distinct values)
    assert.deepEqual(v.histogram.map((b) => b.value), [1, 3, 2, 1, 1]); // edges 2, 3.4, 4.8, 6.2, 7.6, 9
    assert.equal(v.histogram[0]!.bucketMinimum, 2);
    assert.equal(v.histogram.at(-1)!.bucketMaximum, 9);
  });

  it('quantiles interpolate linearly, as numpy does', () => {
    near(quantile([1, 2, 3, 4], 0.5), 2.5);
    near(quantile([1, 2, 3, 4], 0.1), 1.3);
    near(quantile([10], 0.7), 10);
  });

  it('nulls, NaN and missing cells are null values, left out of the numbers', () => {
    const v = columnStats('c', [1, null, 3, undefined, Number.NaN]);
    assert.equal(v.numberOfValues, 5);
    assert.equal(v.numberOfNullValues, 3);
    near(v.mean, 2);
    const empty = columnStats('e', [null]);
    assert.equal(empty.mean, null);
    assert.deepEqual(empty.histogram, []);
  });

  it('rows, objects and column-oriented tables', () => {
    const rows = statistics([[1, 10], [2, 20], [3]]);
    assert.deepEqual(rows.shape, [3, 2]);
    near(rows.columns['1']!.mean, 15);
    assert.equal(rows.columns['1']!.numberOfNullValues, 1);
    const objects = statistics([{ x: 1, y: 2 }, { x: 3, z: 5 }]);
    assert.deepEqual(objects.shape, [2, 3]);
    assert.deepEqual(Object.keys(objects.columns), ['x', 'y', 'z']);
    near(objects.columns.x!.mean, 2);
    const columns = statistics({ a: [1, 2, 3], b: [4, 5] });
    assert.deepEqual(columns.shape, [3, 2]);
    assert.equal(columns.columns.b!.numberOfNullValues, 1);
    const scalar = statistics(7);
    assert.deepEqual(scalar.shape, []);
    assert.equal(scalar.columns.value!.mean, 7);
  });

  it('a single repeated value has one bucket and no spread', () => {
    const v = statistics([3, 3, 3]).columns.value!;
    assert.equal(v.standardDeviation, 0);
    assert.deepEqual(v.histogram, [{ bucketMinimum: 3, bucketMaximum: 3, value: 3 }]);
  });

  it('non-numeric data is an error that says where', () => {
    assert.throws(() => statistics('hello'), (e: Error) => e instanceof StatsError && /this is the string "hello"/.test(e.message));
    assert.throws(() => statistics([{ name: 'a', n: 1 }, { name: 'b', n: 2 }]), /column "name" is not numeric: row 0 holds the string "a"/);
    assert.throws(() => statistics([1, [2]]), /mixes numbers, rows \(arrays\) and objects/);
    assert.throws(() => statistics([1, true]), /item 1 is the boolean true/);
    assert.throws(() => statistics({ a: 1 }), /not a table/);
  });
});

describe('the data folder (--data-dir)', () => {
  let root: string;
  let outside: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'pagebridge-data-'));
    outside = mkdtempSync(join(tmpdir(), 'pagebridge-outside-'));
    mkdirSync(join(root, 'sub'));
    writeFileSync(join(root, 'sub', 'in.json'), '{"a": 1}');
    writeFileSync(join(root, 'rows.csv'), 'x,y\n1,2\n3,\n');
    writeFileSync(join(root, 'bad.json'), '{');
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'out-link'));
    symlinkSync(outside, join(root, 'out-dir'));
    symlinkSync(join(root, 'sub', 'in.json'), join(root, 'in-link.json'));
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  const refused = async (path: unknown, pattern: RegExp, code = 'bad_request') => {
    await assert.rejects(resolveInDataDir(root, path), (e: Error) => e instanceof BridgeError && e.code === code && pattern.test(e.message));
  };

  it('resolves files inside, through links that stay inside too', async () => {
    assert.equal(await resolveInDataDir(root, 'sub/in.json'), join(root, 'sub', 'in.json'));
    assert.equal(await resolveInDataDir(root, './sub//in.json'), join(root, 'sub', 'in.json'));
    assert.equal(await resolveInDataDir(root, 'in-link.json'), join(root, 'sub', 'in.json'));
  });

  it('refuses "..", absolute paths and links that lead out', async () => {
    await refused('../x', /goes up with "\.\."/);
    await refused('sub/../../x', /goes up with "\.\."/);
    await refused('sub\\..\\..\\x', /goes up with "\.\."/);
    await refused('/etc/passwd', /is absolute/);
    await refused('C:\\Windows\\win.ini', /is absolute/);
    await refused('\\\\server\\share', /is absolute/);
    await refused('out-link', /leads outside --data-dir/);
    await refused('out-dir/secret.txt', /leads outside --data-dir/);
    await refused('a\0b', /NUL/);
    await refused('', /must be a file path/);
    await refused(['x'], /must be a file path/);
    await refused('nope.json', /no file "nope\.json"/, 'not_found');
    await assert.rejects(resolveInDataDir(join(root, 'missing-dir'), 'x'), /--data-dir ".*missing-dir" does not exist/);
  });

  it('reads JSON, CSV, and refuses directories, bad JSON and files over the limit', async () => {
    assert.deepEqual(await readDataFile(root, 'sub/in.json', 1000), { kind: 'json', value: { a: 1 } });
    assert.deepEqual(await readDataFile(root, 'rows.csv', 1000), { kind: 'csv', value: [{ x: 1, y: 2 }, { x: 3, y: null }] });
    await assert.rejects(readDataFile(root, 'sub', 1000), /is not a file/);
    await assert.rejects(readDataFile(root, 'bad.json', 1000), /is not valid JSON/);
    await assert.rejects(readDataFile(root, 'sub/in.json', 3), (e: Error) => e instanceof BridgeError && e.code === 'too_large');
  });

  it('parses CSV: quotes, a header or none, empty cells', () => {
    assert.deepEqual(parseCsv('1,2\r\n3,4'), [[1, 2], [3, 4]]);
    assert.deepEqual(parseCsv('name,n\n"a, ""b""",1\n'), [{ name: 'a, "b"', n: 1 }]);
    assert.deepEqual(parseCsv('a,b\nc,d\n'), [['a', 'b'], ['c', 'd']]);
  });
});

describe("a program's modules", () => {
  it('finds imports, and not in comments', () => {
    const src = `import a from './a.js';\n// import x from 'commented.js'\nimport { b,\n c } from "./b.js"; export * from './c.js';\n/* import y from 'block.js' */\nconst d = await import('./d.js');\nimport './side.js';\nconst s = "import z from 'string.js'";\n`;
    assert.deepEqual(findImports(src).map((i) => [i.specifier, i.dynamic]),
      [['./a.js', false], ['./b.js', false], ['./c.js', false], ['./d.js', true], ['./side.js', false]]);
    for (const site of findImports(src)) assert.equal(src.slice(site.start, site.end), site.specifier);
    assert.equal(blankComments('a // b\nc').length, 'a // b\nc'.length);
  });

  it('resolves imports by filename, relative to the importer', () => {
    const files = new Set(['main.js', 'util.js', 'lib/x.mjs', 'lib/y.js']);
    assert.equal(resolveImport('./util.js', 'main.js', files), 'util.js');
    assert.equal(resolveImport('util', 'main.js', files), 'util.js');
    assert.equal(resolveImport('./lib/x', 'main.js', files), 'lib/x.mjs');
    assert.equal(resolveImport('./y.js', 'lib/x.mjs', files), 'lib/y.js');
    assert.equal(resolveImport('../util.js', 'lib/x.mjs', files), 'util.js');
    assert.equal(resolveImport('pagebridge:runtime', 'main.js', files), RUNTIME);
    assert.equal(resolveImport('https://example.com/x.js', 'main.js', files), undefined);
    assert.equal(resolveImport('lodash', 'main.js', files), undefined);
  });

  it('orders files imports first, and evaluates as ES modules do', () => {
    const plan = planProgram([
      { filename: 'main.js', content: "import './a.js';\nimport './b.js';\nconst l = () => import('./lazy.js');" },
      { filename: 'a.js', content: "import './c.js';" },
      { filename: 'b.js', content: "import { x } from 'pagebridge:runtime';" },
      { filename: 'c.js', content: '' },
      { filename: 'lazy.js', content: '' },
      { filename: 'unused.js', content: '' },
    ], 'main.js');
    assert.deepEqual(plan.evalOrder, ['c.js', 'a.js', 'b.js', 'main.js']);
    assert.deepEqual(plan.buildOrder.slice(0, 5), ['c.js', 'a.js', 'b.js', 'lazy.js', 'main.js']);
    assert.ok(plan.buildOrder.includes('unused.js'));
  });

  it('refuses cycles, unknown imports (with their line), duplicate names and a missing main file', () => {
    assert.throws(() => planProgram([{ filename: 'a.js', content: "import './b.js';" }, { filename: 'b.js', content: "import './a.js';" }], 'a.js'),
      /import cycle a\.js → b\.js → a\.js/);
    assert.throws(() => planProgram([{ filename: 'main.js', content: "\n\nimport x from 'x';" }], 'main.js'),
      (e: Error) => e instanceof ProgramError && e.file === 'main.js' && e.line === 3 && /imports "x"/.test(e.message));
    assert.throws(() => planProgram([{ filename: 'a.js', content: '' }, { filename: './a.js', content: '' }], 'a.js'), /two files are named "a\.js"/);
    assert.throws(() => planProgram([{ filename: 'a.js', content: '' }], 'main.js'), /the main file "main\.js" is not one of the program's files \(a\.js\)/);
  });

  it('rewrites specifiers and keeps every line where it was', () => {
    const src = "import a from './a.js';\nimport b from 'pagebridge:runtime';\nthrow 1;\n";
    const plan = planProgram([{ filename: 'main.js', content: src }, { filename: 'a.js', content: '' }], 'main.js');
    const out = rewriteImports(src, plan.imports.get('main.js')!, (t) => (t === RUNTIME ? 'blob:rt' : `blob:${String(t)}`));
    assert.equal(out, "import a from 'blob:a.js';\nimport b from 'blob:rt';\nthrow 1;\n");
  });

  it('locates errors in program files, and names them in the stack', () => {
    const files = new Map([['blob:http://h/1', 'main.js'], ['blob:http://h/2', 'util.js']]);
    const stack = 'Error: x\n    at f (blob:http://h/2:4:9)\n    at http://h/assets/program-worker-abc.js:1:2\n    at blob:http://h/1:2:1';
    assert.deepEqual(locateError(stack, files), { file: 'util.js', line: 4, column: 9 });
    assert.equal(programStack(stack, files), 'Error: x\n    at f (util.js:4:9)\n    at main.js:2:1');
    assert.equal(locateError('SyntaxError: Unexpected token', files), undefined);
  });

  it('a parse-only script keeps the line of a syntax error, and parses a good module', () => {
    const lineOf = (source: string) => {
      try {
        new Script(parseOnlyScript(source));
        return undefined;
      } catch (err) {
        return Number(/evalmachine\.<anonymous>:(\d+)/.exec((err as Error).stack ?? '')?.[1]);
      }
    };
    assert.equal(lineOf("import { a } from './a.js';\nexport const b = 1;\nexport default function f() {}\nexport { b as c };\nawait 1;\nimport.meta.url;\n"), undefined);
    assert.equal(lineOf("import {\n  a,\n} from './a.js';\nconst x = ;\n"), 4);
    assert.equal(lineOf('export const a = 1;\n\n\nlet = = 2;\n'), 4);
  });
});

describe('values as JSON', () => {
  it('typed arrays, maps, sets, dates, special numbers, functions and cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    assert.deepEqual(toPlain({
      f32: new Float32Array([1.5, 2]), big: new BigInt64Array([3n]), map: new Map([['k', 1]]), set: new Set([1, 2]),
      when: new Date(0), nan: Number.NaN, inf: Infinity, fn: () => 1, list: [1, undefined, () => 2], cyclic,
    }), {
      f32: [1.5, 2], big: [3], map: { k: 1 }, set: [1, 2], when: '1970-01-01T00:00:00.000Z', nan: null, inf: null,
      list: [1, null, null], cyclic: { a: 1, self: '[circular]' },
    });
    const shared = { x: 1 };
    assert.deepEqual(toPlain([shared, shared]), [{ x: 1 }, { x: 1 }]); // shared, not circular
  });
});

describe('placeholders within a size (toPlainWithin)', () => {
  it('a value that fits comes back as toPlain makes it, its size near its JSON length', () => {
    const table = Array.from({ length: 100 }, (_, i) => ({ x: i, label: `row ${i}`, flags: [true, null] }));
    const { value, size } = toPlainWithin(table, 1e6);
    assert.deepEqual(value, toPlain(table));
    const json = JSON.stringify(value).length;
    assert.ok(size >= json && size <= 3 * json, `size ${size}, JSON ${json}`);
  });

  it('a sparse array too long to fit is refused from its length, its items never visited', () => {
    const holes: number[] = [];
    holes[1e9 - 1] = 1;
    holes[0] = 2;
    let reads = 0;
    const watched = new Proxy(holes, { get: (t, k, r) => { reads++; return Reflect.get(t, k, r); } });
    assert.throws(() => toPlainWithin(watched, MAX_PLACEHOLDER_CHARS), (err: Error) => {
      assert.ok(err instanceof TooLargeError);
      assert.match(placeholderTooLarge('holes', err), /^placeholder "holes" was not kept: an array of 1000000000 items is over 64 MiB as JSON, .*keep a summary or a sample instead$/);
      return true;
    });
    assert.ok(reads < 5, `${reads} reads`);
  });

  it('a long string, a big typed array and a deep object past the limit are refused', () => {
    assert.throws(() => toPlainWithin('x'.repeat(2000), 1000), /a string of 2000 characters is over 1000 characters as JSON/);
    assert.throws(() => toPlainWithin(new Float64Array(1000), 1000), /a typed array of 1000 items/);
    assert.throws(() => toPlainWithin({ a: { b: Array.from({ length: 300 }, (_, i) => i) } }, 1000), TooLargeError);
  });
});

describe('the program host frames are other sites', () => {
  it('127.0.0.1 and localhost swap; another name keeps its own origin', () => {
    assert.equal(programHostUrl('http://127.0.0.1:8000/'), 'http://localhost:8000/program-host.html');
    assert.equal(programHostUrl('http://localhost:8000/'), 'http://127.0.0.1:8000/program-host.html');
    assert.equal(programHostUrl('http://[::1]:8000/'), 'http://localhost:8000/program-host.html');
    assert.equal(programHostUrl('http://studio.lan:8000/'), 'http://studio.lan:8000/program-host.html');
  });

  it("its workers' frame is a third site, workers.localhost, when the host is on a loopback name", () => {
    assert.equal(workersUrl('http://localhost:8000/program-host.html'), 'http://workers.localhost:8000/program-host.html?workers');
    assert.equal(workersUrl('http://127.0.0.1:8000/program-host.html'), 'http://workers.localhost:8000/program-host.html?workers');
    assert.equal(workersUrl('http://studio.lan:8000/program-host.html'), 'http://studio.lan:8000/program-host.html?workers');
  });
});
