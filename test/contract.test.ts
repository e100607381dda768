// The contract between bridge and page (web/contract): what the bridge takes from a page, the one list
// of error codes, the data-URI decoder both sides use, and the pending table.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, PendingTable, decodeDataUri, encodeFrame, decodeFrames, isErrorCode, isPageCall, normalizeFilename, type PageMessage } from '../web/contract/index.ts';
import { checkPageMessage } from '../bridge/relay/checks.ts';

const announcement = { id: 'm', title: 'M', state: 'ready', backend: 'wasm', info: { inputs: [{ name: 'x', type: 'number' }], outputs: [] } };

describe('contract: page messages are checked on arrival', () => {
  const good: PageMessage[] = [
    { type: 'models', models: [announcement as never] },
    { type: 'result', id: 1, outputs: { y: 1 } },
    { type: 'result', id: 2, outputs: {}, annotated: new Uint8Array([0xff, 0xd8, 0xff]) },
    { type: 'result', id: 3, error: { code: 'bad_request', message: 'no' } },
    { type: 'output', model: 'm', outputs: { y: 2 }, source: 'page' },
    { type: 'event', kind: 'program.ended', payload: { sessionId: 1, status: 'finished', startedAt: '', endedAt: null, log: [], logDropped: 0, placeholders: [], models: [] } },
  ];
  it('takes every message a page sends, also after a trip through the relay codec (bytes stay bytes)', () => {
    for (const m of good) {
      assert.deepEqual(checkPageMessage(m), { message: m });
      const [again] = decodeFrames(encodeFrame(m));
      assert.ok('message' in checkPageMessage(again), JSON.stringify(m));
    }
  });

  it('refuses malformed ones, saying which and where', () => {
    const bad: [unknown, RegExp][] = [
      [null, /unknown message type undefined/],
      [{ type: 'hello' }, /unknown message type "hello"/],
      [{ type: 'models', models: [{ ...announcement, state: 'great' }] }, /"models" message at \/models\/0\/state/],
      [{ type: 'models', models: [{ ...announcement, info: undefined }] }, /must have required property 'info'/],
      [{ type: 'result', id: 'one', outputs: {} }, /"result" message at \/id must be integer/],
      [{ type: 'result', id: 1, outputs: [] }, /at \/outputs must be object/],
      [{ type: 'result', id: 1, annotated: 'data:image/jpeg;base64,AAAA' }, /at \/annotated/],
      [{ type: 'result', id: 1, error: { code: 'busy' } }, /must have required property 'message'/],
      [{ type: 'output', model: 'm' }, /must have required property 'outputs'/],
      [{ type: 'event', kind: 'program.exploded', payload: {} }, /at \/kind must be equal to one of the allowed values/],
      [{ type: 'event', kind: 'program.ended', payload: { status: 'finished' } }, /sessionId/],
    ];
    for (const [m, why] of bad) {
      const r = checkPageMessage(m);
      assert.ok('why' in r, `took ${JSON.stringify(m)}`);
      assert.match(r.why, why);
    }
  });
});

describe('contract: codes, calls, names', () => {
  it('one list of error codes', () => {
    assert.deepEqual([...ERROR_CODES], ['bad_request', 'not_found', 'unavailable', 'busy', 'timeout', 'too_large', 'model_failed', 'dropped']);
    assert.ok(isErrorCode('busy'));
    assert.ok(!isErrorCode('teapot'));
    assert.ok(isPageCall('program.run'));
    assert.ok(!isPageCall('program.format_disk'));
  });

  it('normalizes program file names the same on both sides', () => {
    assert.equal(normalizeFilename('./lib//a.js'), 'lib/a.js');
    assert.equal(normalizeFilename('lib\\..\\main.js'), 'main.js');
    assert.equal(normalizeFilename('/x/./y.mjs'), 'x/y.mjs');
  });
});

describe('contract: data URIs', () => {
  const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 250]);
  it('decodes data URIs, plain base64 only when asked, whitespace anywhere', () => {
    const b64 = bytes.toString('base64');
    assert.deepEqual(Buffer.from(decodeDataUri(`data:image/png;base64,${b64}`)!), bytes);
    assert.equal(decodeDataUri(b64), undefined);
    assert.deepEqual(Buffer.from(decodeDataUri(b64, { bare: true })!), bytes);
    assert.deepEqual(Buffer.from(decodeDataUri(`data:image/png;base64,${b64.slice(0, 4)}\n ${b64.slice(4)} \n`)!), bytes);
    assert.equal(decodeDataUri('data:image/png,raw'), undefined);
    assert.equal(decodeDataUri('data:image/png;base64,!!!!'), undefined);
    assert.equal(decodeDataUri('data:image/png;base64,'), undefined);
    assert.equal(decodeDataUri('=AAA', { bare: true }), undefined);
  });

  it('refuses a long run of spaces before a bad character (a pattern that backtracked on it took seconds)', () => {
    assert.equal(decodeDataUri(`A${' '.repeat(200_000)}!`, { bare: true }), undefined);
    assert.equal(decodeDataUri(`data:image/png;base64,A${'\t'.repeat(200_000)}!`), undefined);
  });
});

describe('contract: pending table', () => {
  it('answers, fails and times out each request once, and says when one leaves', async () => {
    const left: string[] = [];
    const table = new PendingTable<number, string>({ onSettled: (m) => left.push(m) });
    const a = table.add('a');
    const b = table.add('b');
    const c = table.add('c', { ms: 20, error: (m) => new Error(`${m} timed out`) });
    assert.notEqual(a.id, b.id);
    assert.equal(table.get(a.id), 'a');
    assert.ok(table.settle(a.id, 1));
    assert.ok(!table.settle(a.id, 2), 'a second answer is ignored');
    assert.ok(table.fail(b.id, new Error('no')));
    assert.equal(await a.answer, 1);
    await assert.rejects(b.answer, /no/);
    await assert.rejects(c.answer, /c timed out/);
    assert.ok(!table.settle(c.id, 3), 'a late answer is ignored');
    const d = table.add('d');
    const e = table.add('e');
    table.failWhere((m) => new Error(`${m} gone`), (m) => m === 'd');
    await assert.rejects(d.answer, /d gone/);
    assert.equal(table.size, 1);
    table.failWhere(() => new Error('closing'));
    await assert.rejects(e.answer, /closing/);
    assert.deepEqual(left, ['a', 'b', 'c', 'd', 'e']);
    assert.equal(table.size, 0);
  });
});
