// Latest wins, in the core alone: a fake page (a PageLink that holds each query until the test answers
// it) shows exactly which frames reach the page, which are dropped, and that nothing queues.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeCore, type DroppedEvent, type FailureEvent, type OutputEvent, type QueryContext } from '../bridge/core/core.ts';
import { BridgeError } from '../bridge/core/errors.ts';
import { FakePage, outcome, tick } from './helpers/page-link.ts';

function setup(options: ConstructorParameters<typeof BridgeCore>[0] = {}) {
  const core = new BridgeCore(options);
  const page = new FakePage('page-1', ['m', 'n']);
  core.addPage(page);
  const events = { output: [] as OutputEvent[], failure: [] as FailureEvent[], dropped: [] as DroppedEvent[] };
  core.on('output', (e) => events.output.push(e));
  core.on('failure', (e) => events.failure.push(e));
  core.on('dropped', (e) => events.dropped.push(e));
  const live = (client: string, x: unknown, model = 'm', extra: Partial<QueryContext> = {}) =>
    outcome(core.query(model, { x }, { source: 'test', client, latest: true, ...extra }));
  return { core, page, events, live };
}

describe('latest wins in the core (fake page)', () => {
  it('one frame with the page, the newest waiting, every frame between dropped; however many are pushed', async () => {
    for (const n of [3, 100, 5000]) {
      const { core, page, events, live } = setup();
      const results = Array.from({ length: n }, (_, i) => live('a', i));
      // However many were pushed, the page holds one: the first.
      assert.deepEqual(page.sent.map((q) => q.x), [0]);
      await tick();
      assert.equal(page.answer(core), 0);
      await tick();
      // Next it gets the newest, not the one after the first.
      assert.deepEqual(page.sent.map((q) => q.x), [n - 1]);
      page.answer(core);
      const settled = await Promise.all(results);
      assert.deepEqual(settled, Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? i : 'dropped')));
      assert.equal(page.sent.length, 0);
      // Dropped frames are counted, and are no failure: /error and the failure events stay clear.
      assert.deepEqual(core.droppedFrames(), { m: n - 2 });
      assert.equal(events.dropped.length, n - 2);
      assert.equal(events.dropped.at(-1)!.total, n - 2);
      assert.equal(events.failure.length, 0);
      assert.equal(core.lastError('m'), null);
      assert.deepEqual(events.output.map((e) => e.outputs.y), [0, n - 1]);
      assert.deepEqual(core.lastOutput('m'), { y: n - 1 });
    }
  });

  it('a dropped frame says why, naming the model and the flag that turns it off', async () => {
    const { core, page } = setup();
    const first = core.query('m', { x: 1 }, { source: 'test', client: 'a', latest: true });
    const stale = core.query('m', { x: 2 }, { source: 'test', client: 'a', latest: true }).catch((e) => e);
    const newest = core.query('m', { x: 3 }, { source: 'test', client: 'a', latest: true });
    const error = await stale;
    assert.ok(error instanceof BridgeError);
    assert.equal(error.code, 'dropped');
    assert.match(error.message, /a newer frame from this client replaced it while "m" was busy/);
    assert.match(error.message, /--no-latest-wins/);
    page.answer(core);
    await tick();
    page.answer(core);
    assert.deepEqual([(await first).y, (await newest).y], [1, 3]);
  });

  it('keeps one lane per client and per model: clients never drop each other’s frames', async () => {
    const { core, page, live } = setup();
    const results = [live('a', 1), live('b', 10), live('a', 2), live('a', 3, 'n'), live('b', 11), live('a', 4), live('b', 12)];
    // a on m, b on m, a on n: each has one frame with the page at once.
    assert.deepEqual(page.sent.map((q) => `${q.model}:${q.x}`), ['m:1', 'm:10', 'n:3']);
    await tick();
    page.answer(core);
    page.answer(core);
    page.answer(core);
    await tick();
    assert.deepEqual(page.sent.map((q) => `${q.model}:${q.x}`), ['m:4', 'm:12']);
    page.answer(core);
    page.answer(core);
    assert.deepEqual(await Promise.all(results), [1, 10, 'dropped', 3, 'dropped', 4, 12]);
    assert.deepEqual(core.droppedFrames(), { m: 2 });
  });

  it('the same client id from two protocols is two clients', async () => {
    const { core, page } = setup();
    const a = outcome(core.query('m', { x: 1 }, { source: 'socketio', client: 'x', latest: true }));
    const b = outcome(core.query('m', { x: 2 }, { source: 'osc', client: 'x', latest: true }));
    assert.equal(page.sent.length, 2);
    page.answer(core);
    page.answer(core);
    assert.deepEqual([await a, await b], [1, 2]);
  });

  it('a failed frame hands the lane to the newest; a bad frame fails at once and replaces nothing', async () => {
    const { core, page, events, live } = setup();
    const results = [live('a', 1), live('a', 2), live('a', 'not a number'), live('a', 3)];
    assert.equal(await results[2], 'bad_request');
    await tick();
    page.answer(core, new BridgeError('model_failed', 'the model broke'));
    await tick();
    assert.equal(core.lastError('m'), 'the model broke');
    assert.deepEqual(page.sent.map((q) => q.x), [3]);
    page.answer(core);
    assert.deepEqual(await Promise.all(results), ['model_failed', 'dropped', 'bad_request', 3]);
    assert.equal(core.lastError('m'), null);
    // The bad frame was refused before the model: the asker's alone, no failure event.
    assert.deepEqual(events.failure.map((e) => e.error.code), ['model_failed']);
  });

  it('a frame that waited goes to another page when the page with its lane goes away', async () => {
    const { core, page, live } = setup();
    const results = [live('a', 1), live('a', 2)];
    const other = new FakePage('page-2', ['m']);
    core.addPage(other);
    core.removePage(page, 'closed');
    await tick();
    assert.deepEqual(other.sent.map((q) => q.x), [2]);
    other.answer(core);
    // The frame with the page that left is not run again: a newer one waited (latest wins).
    assert.deepEqual(await Promise.all(results), ['dropped', 2]);
    assert.equal(core.lastError('m'), null);
    assert.equal(core.retries, 0);
  });

  it('a lone frame whose page goes away runs once more on another page', async () => {
    const { core, page, live } = setup();
    const other = new FakePage('page-2', ['m']);
    core.addPage(other);
    const result = live('a', 1);
    assert.deepEqual(page.sent.map((q) => q.x), [1]);
    core.removePage(page, 'closed');
    await tick();
    assert.deepEqual(other.sent.map((q) => q.x), [1]);
    other.answer(core);
    assert.equal(await result, 1);
    assert.equal(core.retries, 1);
  });

  it('shutdown fails the frame with the page and the one waiting', async () => {
    const { core, live } = setup();
    const results = [live('a', 1), live('a', 2)];
    core.close('the bridge is shutting down');
    assert.deepEqual(await Promise.all(results), ['unavailable', 'unavailable']);
  });

  it('live frames are not held to the per-client cap; other queries are', async () => {
    const { core, page, live } = setup({ maxClientQueue: 2 });
    const frames = Array.from({ length: 10 }, (_, i) => live('a', i));
    const queries = Array.from({ length: 3 }, (_, i) => outcome(core.query('m', { x: 100 + i }, { source: 'test', client: 'b' })));
    assert.equal(await queries[2], 'busy');
    assert.deepEqual(page.sent.map((q) => q.x), [0, 100, 101]);
    for (let i = 0; i < 3; i++) page.answer(core);
    await tick();
    page.answer(core);
    assert.deepEqual(await Promise.all(frames), Array.from({ length: 10 }, (_, i) => (i === 0 || i === 9 ? i : 'dropped')));
    assert.deepEqual(await Promise.all(queries), [100, 101, 'busy']);
  });

  it('queries that are not live frames, or that name no client, all go to the page in turn', async () => {
    const { core, page } = setup();
    const results = [
      ...Array.from({ length: 3 }, (_, i) => outcome(core.query('m', { x: i }, { source: 'http', client: 'a' }))),
      ...Array.from({ length: 3 }, (_, i) => outcome(core.query('m', { x: 10 + i }, { source: 'test', latest: true }))),
    ];
    assert.equal(page.sent.length, 6);
    for (let i = 0; i < 6; i++) page.answer(core);
    assert.deepEqual(await Promise.all(results), [0, 1, 2, 10, 11, 12]);
    assert.deepEqual(core.droppedFrames(), {});
  });

  it('with latest wins off, every live frame is queued and answered, under the per-client cap', async () => {
    const { core, page, live } = setup({ latestWins: false, maxClientQueue: 4 });
    const frames = Array.from({ length: 6 }, (_, i) => live('a', i));
    assert.deepEqual(page.sent.map((q) => q.x), [0, 1, 2, 3]);
    for (let i = 0; i < 4; i++) page.answer(core);
    assert.deepEqual(await Promise.all(frames), [0, 1, 2, 3, 'busy', 'busy']);
    assert.deepEqual(core.droppedFrames(), {});
  });
});
