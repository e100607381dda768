// The core alone, against fake pages (test/helpers/page-link.ts): which model views it shows, which page
// runs a query, its queue caps, timeouts, page loss, page calls and shutdown. No browser, no sockets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeCore, type FailureEvent, type OutputEvent, type PageRemovedEvent } from '../bridge/core/core.ts';
import { BridgeError } from '../bridge/core/errors.ts';
import type { ModelManifest } from '../web/contract/index.ts';
import { FakePage, announce, outcome, tick } from './helpers/page-link.ts';

const manifest = (id: string): ModelManifest => ({
  id, title: `${id} title`, file: 'model.onnx', adapter: 'tensor',
  inputs: [{ name: 'x', type: 'number' }], outputs: [{ name: 'y', type: 'number' }],
});

const ask = (core: BridgeCore, x: unknown, model: string | undefined = 'm', client?: string) =>
  outcome(core.query(model, { x }, { source: 'test', client }));

const failure = (p: Promise<unknown>) => p.then(() => assert.fail('expected a failure'), (e: BridgeError) => e);

function withEvents(core: BridgeCore) {
  const events = { output: [] as OutputEvent[], failure: [] as FailureEvent[], removed: [] as PageRemovedEvent[] };
  core.on('output', (e) => events.output.push(e));
  core.on('failure', (e) => events.failure.push(e));
  core.on('pageRemoved', (e) => events.removed.push(e));
  return events;
}

describe('core: models', () => {
  it('shows the catalogue before any page, then what pages announce, merged by id', () => {
    const core = new BridgeCore({ catalogue: [manifest('m'), manifest('n')] });
    assert.deepEqual(core.models().map((m) => [m.id, m.state, m.pages]), [['m', 'not loaded', 0], ['n', 'not loaded', 0]]);
    assert.equal(core.defaultModel, 'm');
    const a = new FakePage('a', [announce('m', 'loading')]);
    const b = new FakePage('b', [announce('m', 'ready', { backend: 'wasm' }), 'extra']);
    core.addPage(a);
    assert.equal(core.model('m').state, 'loading');
    core.addPage(b);
    const m = core.model('m');
    assert.deepEqual([m.state, m.pages, m.backend], ['ready', 1, 'wasm']);
    // The catalogue's title stays where a page says nothing better; a page-only model is listed too.
    assert.deepEqual(core.models().map((v) => v.id), ['m', 'n', 'extra']);
    core.removePage(b, 'closed');
    assert.deepEqual([core.model('m').state, core.model('m').pages], ['loading', 0]);
  });

  it('the default model is --model when given, else the first known; unknown ids name the known ones', () => {
    const core = new BridgeCore({ catalogue: [manifest('m'), manifest('n')], defaultModel: 'n' });
    assert.equal(core.defaultModel, 'n');
    assert.equal(core.model().id, 'n');
    assert.throws(() => core.model('nope'), (e: BridgeError) => e.code === 'not_found' && /no model "nope" \(models: m, n\)/.test(e.message));
    const empty = new BridgeCore();
    assert.throws(() => empty.model(), (e: BridgeError) => e.code === 'not_found' && /no model is loaded yet/.test(e.message));
  });

  it('a page that announces again changes the views at once', () => {
    const core = new BridgeCore();
    const page = new FakePage('a', ['m']);
    core.addPage(page);
    assert.equal(core.model('m').state, 'ready');
    page.models.set('m', announce('m', 'failed', { error: 'out of memory' }));
    core.pageChanged();
    assert.deepEqual([core.model('m').state, core.model('m').error], ['failed', 'out of memory']);
  });
});

describe('core: which page runs a query', () => {
  it('the least busy page that has the model ready', async () => {
    const core = new BridgeCore();
    const a = new FakePage('a', ['m']);
    const b = new FakePage('b', ['m']);
    core.addPage(a);
    core.addPage(b);
    const results = [ask(core, 1), ask(core, 2), ask(core, 3)];
    assert.deepEqual([a.sent.map((q) => q.x), b.sent.map((q) => q.x)], [[1, 3], [2]]);
    b.answer(core);
    const fourth = ask(core, 4);
    assert.deepEqual(b.sent.map((q) => q.x), [4]);
    a.answer(core); a.answer(core); b.answer(core);
    assert.deepEqual(await Promise.all([...results, fourth]), [1, 2, 3, 4]);
  });

  it('says why no page can: none connected, not ready (with the page’s error), or not loaded', async () => {
    const core = new BridgeCore({ catalogue: [manifest('m')] });
    let e = await failure(core.query('m', { x: 1 }, { source: 'test' }));
    assert.deepEqual([e.code, e.retryAfterSeconds], ['unavailable', 2]);
    assert.match(e.message, /no page is connected to run "m"/);
    core.addPage(new FakePage('a', [announce('m', 'failed', { error: 'WebGPU lost' })]));
    e = await failure(core.query('m', { x: 1 }, { source: 'test' }));
    assert.match(e.message, /"m" is not ready on any page \(failed: WebGPU lost\)/);
    const core2 = new BridgeCore({ catalogue: [manifest('m')] });
    core2.addPage(new FakePage('b', ['other']));
    e = await failure(core2.query('m', { x: 1 }, { source: 'test' }));
    assert.deepEqual([e.code, e.message], ['unavailable', 'no connected page has loaded "m"']);
  });

  it('bad inputs fail at once, naming the input, and never reach the page', async () => {
    const core = new BridgeCore();
    const page = new FakePage('a', ['m']);
    core.addPage(page);
    const events = withEvents(core);
    const e = await failure(core.query('m', { x: 'seven' }, { source: 'test' }));
    assert.equal(e.code, 'bad_request');
    assert.match(e.message, /input "x"/);
    assert.equal(page.sent.length, 0);
    // Refused before the model: no last error, no failure event; only the asker hears of it.
    assert.equal(core.lastError('m'), null);
    assert.equal(events.failure.length, 0);
    assert.equal(core.isPublished(e), false);
  });
});

describe('core: queue caps', () => {
  it('--max-queue: a model with that many queries at its pages answers busy, with Retry-After, until one settles', async () => {
    const core = new BridgeCore({ maxQueue: 2 });
    const page = new FakePage('a', ['m', 'n']);
    core.addPage(page);
    const held = [ask(core, 1), ask(core, 2)];
    const e = await failure(core.query('m', { x: 3 }, { source: 'test' }));
    assert.deepEqual([e.code, e.retryAfterSeconds], ['busy', 1]);
    assert.match(e.message, /"m" has 2 queries waiting, the most allowed \(--max-queue\)/);
    // Another model's queue is its own.
    const other = ask(core, 9, 'n');
    assert.deepEqual(page.sent.map((q) => q.x), [1, 2, 9]);
    page.answer(core);
    const again = ask(core, 4);
    assert.deepEqual(page.sent.map((q) => q.x), [2, 9, 4]);
    page.answer(core); page.answer(core); page.answer(core);
    assert.deepEqual(await Promise.all([...held, other, again]), [1, 2, 9, 4]);
  });

  it('--max-client-queue: one client cannot fill the queue; others still get in; its slots come back', async () => {
    const core = new BridgeCore({ maxClientQueue: 2 });
    const page = new FakePage('a', ['m']);
    core.addPage(page);
    const mine = [ask(core, 1, 'm', 'c1'), ask(core, 2, 'm', 'c1')];
    const e = await failure(core.query('m', { x: 3 }, { source: 'test', client: 'c1' }));
    assert.deepEqual([e.code, e.retryAfterSeconds], ['busy', 1]);
    assert.match(e.message, /this client has 2 queries waiting.*--max-client-queue/);
    const theirs = ask(core, 10, 'm', 'c2');
    // The same client name from another protocol is another client.
    const otherProtocol = outcome(core.query('m', { x: 20 }, { source: 'other', client: 'c1' }));
    assert.deepEqual(page.sent.map((q) => q.x), [1, 2, 10, 20]);
    for (let i = 0; i < 4; i++) page.answer(core);
    assert.deepEqual(await Promise.all([...mine, theirs, otherProtocol]), [1, 2, 10, 20]);
    const later = ask(core, 4, 'm', 'c1');
    page.answer(core);
    assert.equal(await later, 4);
  });

  it('a failed or timed-out query gives its places back', async () => {
    const core = new BridgeCore({ maxQueue: 1, maxClientQueue: 1, timeoutMs: 30 });
    const page = new FakePage('a', ['m']);
    core.addPage(page);
    const first = ask(core, 1, 'm', 'c');
    page.answer(core, new BridgeError('model_failed', 'broke'));
    assert.equal(await first, 'model_failed');
    assert.equal(await ask(core, 2, 'm', 'c'), 'timeout');
    const third = ask(core, 3, 'm', 'c');
    page.sent.splice(0, page.sent.length - 1); // the timed-out one is never answered
    page.answer(core);
    assert.equal(await third, 3);
  });
});

describe('core: refused or failed', () => {
  it('a query refused before the model never sets the last error nor is published; one that reached it and failed is', async () => {
    const core = new BridgeCore({ catalogue: [manifest('m')], maxQueue: 1, timeoutMs: 30 });
    const events = withEvents(core);
    const query = (model: string, inputs: unknown) => failure(core.query(model, inputs, { source: 'test' }));
    const refused: BridgeError[] = [];
    refused.push(await query('m', { x: 1 })); // no page yet
    const page = new FakePage('a', ['m']);
    core.addPage(page);
    refused.push(await query('nope', { x: 1 }));
    refused.push(await query('m', undefined)); // a bodiless request
    refused.push(await query('m', { x: 'one' }));
    const held = query('m', { x: 1 });
    refused.push(await query('m', { x: 2 })); // the model's queue is full
    // The page's own refusal: an input it could not take.
    page.answer(core, new BridgeError('bad_request', 'input "x" is odd'));
    refused.push(await held);
    assert.deepEqual(refused.map((e) => e.code), ['unavailable', 'not_found', 'bad_request', 'bad_request', 'busy', 'bad_request']);
    assert.equal(core.lastError('m'), null);
    assert.equal(events.failure.length, 0);
    assert.ok(refused.every((e) => !core.isPublished(e)));

    const failed: BridgeError[] = [];
    const broke = query('m', { x: 3 });
    page.answer(core, new BridgeError('model_failed', 'broke'));
    failed.push(await broke);
    failed.push(await query('m', { x: 4 })); // the page never answers: timeout
    page.sent.length = 0;
    const lost = query('m', { x: 5 });
    core.removePage(page, 'closed');
    failed.push(await lost);
    assert.deepEqual(failed.map((e) => e.code), ['model_failed', 'timeout', 'unavailable']);
    assert.deepEqual(events.failure.map((e) => e.error), failed);
    assert.equal(core.lastError('m'), failed[2]!.message);
    assert.ok(failed.every((e) => core.isPublished(e)));
  });
});

describe('core: timeouts', () => {
  it('a query the page does not answer in time fails with the model and --timeout named; a late answer is ignored', async () => {
    const core = new BridgeCore({ timeoutMs: 40 });
    const page = new FakePage('a', ['m']);
    core.addPage(page);
    const events = withEvents(core);
    const e = await failure(core.query('m', { x: 1 }, { source: 'test' }));
    assert.equal(e.code, 'timeout');
    assert.match(e.message, /"m" did not answer within 0.04 s \(--timeout\)/);
    assert.equal(core.lastError('m'), e.message);
    page.answer(core); // late
    assert.deepEqual(core.lastOutput('m'), {});
    assert.equal(events.output.length, 0);
  });

  it('a page call times out with its own limit', async () => {
    const core = new BridgeCore({ timeoutMs: 10_000 });
    core.addPage(new FakePage('a', []));
    const e = await failure(core.callPage('program.status', { sessionId: 1 }, { source: 'test', timeoutMs: 30 }));
    assert.equal(e.code, 'timeout');
    assert.match(e.message, /the page did not answer "program.status" within 0.03 s/);
  });
});

describe('core: page loss', () => {
  it('with no other page that has the model, everything a page held fails at once, naming the model and why; other pages’ queries go on', async () => {
    const core = new BridgeCore({ timeoutMs: 60_000 });
    const a = new FakePage('a', ['m']);
    const b = new FakePage('b', ['n']);
    core.addPage(a);
    core.addPage(b);
    const events = withEvents(core);
    const onA = [ask(core, 1), ask(core, 3)];
    const onB = ask(core, 2, 'n');
    const call = failure(core.callPage('program.status', { sessionId: 7 }, { source: 'test', page: 'a' }));
    assert.deepEqual([a.sent.length, b.sent.length, a.calls.length], [2, 1, 1]);
    const started = Date.now();
    core.removePage(a, 'page closed or reloaded');
    assert.deepEqual(await Promise.all(onA), ['unavailable', 'unavailable']);
    assert.ok(Date.now() - started < 5_000);
    assert.match(events.failure[0]!.error.message, /the page running "m" went away before answering \(page closed or reloaded\)/);
    assert.match((await call).message, /the page went away before answering "program.status"/);
    assert.deepEqual(events.removed, [{ page: 'a', why: 'page closed or reloaded' }]);
    // An answer from the page that left counts for nothing; the other page's query is untouched.
    a.answer(core);
    b.answer(core);
    assert.equal(await onB, 2);
    assert.equal(core.pageCount, 1);
    core.removePage(a, 'again'); // a page removed twice is removed once
    assert.equal(events.removed.length, 1);
  });

  it('a query whose page goes away mid-run runs once more on another page that has the model; calls do not', async () => {
    const core = new BridgeCore({ timeoutMs: 60_000 });
    const a = new FakePage('a', ['m']);
    const b = new FakePage('b', ['m']);
    core.addPage(a);
    core.addPage(b);
    const events = withEvents(core);
    const retried: unknown[] = [];
    core.on('retried', (e) => retried.push(e));
    // The least busy page takes each: a, b, then a again (a tie goes to the first).
    const first = ask(core, 1);
    const onB = ask(core, 2);
    const third = ask(core, 3);
    const call = failure(core.callPage('program.status', { sessionId: 7 }, { source: 'test', page: 'a' }));
    assert.deepEqual([a.sent.map((q) => q.x), b.sent.map((q) => q.x)], [[1, 3], [2]]);
    core.removePage(a, 'page closed or reloaded');
    await tick();
    // Both of a's queries went to b, after the one b already held; nobody failed.
    assert.deepEqual(b.sent.map((q) => q.x), [2, 1, 3]);
    assert.deepEqual(retried, [{ model: 'm', source: 'test', from: 'a', to: 'b' }, { model: 'm', source: 'test', from: 'a', to: 'b' }]);
    assert.equal(core.retries, 2);
    b.answer(core); b.answer(core); b.answer(core);
    assert.deepEqual(await Promise.all([first, onB, third]), [1, 2, 3]);
    assert.deepEqual(events.failure, []);
    assert.equal(core.lastError('m'), null);
    assert.equal(core.inFlight, 0);
    // A call belongs to its page (a program session lives there): it fails.
    assert.match((await call).message, /the page went away before answering "program.status"/);
    assert.deepEqual(core.pageSummaries().map((p) => [p.id, p.inFlight, p.queued]), [['b', 0, 0]]);
  });

  it('a query that loses its page twice fails with the error; once with no other page, at once', async () => {
    const core = new BridgeCore({ timeoutMs: 60_000 });
    const a = new FakePage('a', ['m']);
    const b = new FakePage('b', ['m']);
    const c = new FakePage('c', ['m']);
    core.addPage(a);
    core.addPage(b);
    core.addPage(c);
    const events = withEvents(core);
    const q = ask(core, 1);
    assert.equal(a.sent.length, 1);
    core.removePage(a, 'crashed');
    await tick();
    const second = [b, c].find((p) => p.sent.length === 1)!;
    core.removePage(second, 'crashed too');
    assert.equal(await q, 'unavailable');
    // Never a third page: c (or b) holds nothing.
    assert.deepEqual([b, c].map((p) => p.sent.length).sort(), [0, 1]);
    assert.equal(events.failure.length, 1);
    assert.match(events.failure[0]!.error.message, /went away before answering \(crashed too\)/);
    const last = [b, c].find((p) => p !== second)!;
    const alone = ask(core, 2);
    core.removePage(last, 'gone');
    assert.equal(await alone, 'unavailable');
    assert.equal(core.retries, 1);
  });

  it('a page whose connection is closing (its close not yet heard): the query goes to another page', async () => {
    const core = new BridgeCore();
    const a = new FakePage('a', ['m']);
    const b = new FakePage('b', ['m']);
    core.addPage(a);
    core.addPage(b);
    a.broken = true;
    const q = ask(core, 1);
    await tick();
    assert.deepEqual([a.sent.length, b.sent.length], [0, 1]);
    b.answer(core);
    assert.equal(await q, 1);
    assert.equal(core.retries, 1);
  });

  it('the retry gets what is left of --timeout, and its timeout names the whole --timeout', async () => {
    const core = new BridgeCore({ timeoutMs: 200 });
    const a = new FakePage('a', ['m']);
    const b = new FakePage('b', ['m']);
    core.addPage(a);
    core.addPage(b);
    const q = failure(core.query('m', { x: 1 }, { source: 'test' }));
    await new Promise((r) => setTimeout(r, 50));
    core.removePage(a, 'closed');
    const e = await q;
    assert.equal(e.code, 'timeout');
    assert.match(e.message, /"m" did not answer within 0.2 s \(--timeout\)/);
    assert.equal(b.sent.length, 1);
  });

  it('an answer settles only the request of the page it was sent to', async () => {
    const core = new BridgeCore({ timeoutMs: 60 });
    const a = new FakePage('a', ['m']);
    const b = new FakePage('b', []);
    core.addPage(a);
    core.addPage(b);
    const q = ask(core, 5);
    core.settle(b, a.sent[0]!.id, { outputs: { y: 666 } });
    a.answer(core);
    assert.equal(await q, 5);
  });

  it('a page whose connection is closing fails the query at once as unavailable', async () => {
    const core = new BridgeCore();
    const page = new FakePage('a', ['m']);
    core.addPage(page);
    page.broken = true;
    const e = await failure(core.query('m', { x: 1 }, { source: 'test' }));
    assert.equal(e.code, 'unavailable');
    assert.match(e.message, /could not reach the page: the page connection is closing/);
    page.broken = false;
    const next = ask(core, 2);
    page.answer(core);
    assert.equal(await next, 2);
  });
});

describe('core: outputs, pictures, calls, shutdown', () => {
  it('every output updates the last output and is published, the page’s own too; a success clears the last error', async () => {
    const core = new BridgeCore();
    const page = new FakePage('a', ['m']);
    core.addPage(page);
    const events = withEvents(core);
    const failed = ask(core, 1);
    page.answer(core, new BridgeError('model_failed', 'broke'));
    assert.equal(await failed, 'model_failed');
    assert.equal(core.lastError('m'), 'broke');
    const ok = ask(core, 2);
    page.answer(core);
    assert.equal(await ok, 2);
    assert.equal(core.lastError('m'), null);
    core.publish('m', { y: 3 }, 'page');
    assert.deepEqual(core.lastOutput('m'), { y: 3 });
    assert.deepEqual(events.output.map((e) => [e.source, e.outputs.y, typeof e.ms]), [['test', 2, 'number'], ['page', 3, 'undefined']]);
  });

  it('an annotated query returns its picture to the asker alone, never in /data or the events', async () => {
    const core = new BridgeCore();
    const page = new FakePage('a', ['m']);
    core.addPage(page);
    const events = withEvents(core);
    const answer = core.annotate('m', { x: 4 }, { source: 'test' });
    assert.equal(page.sent[0]!.annotate, true);
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]);
    page.answer(core, undefined, jpeg);
    const { outputs, image } = await answer;
    assert.deepEqual(outputs, { y: 4 });
    assert.equal(image, jpeg);
    assert.deepEqual(core.lastOutput('m'), { y: 4 });
    assert.deepEqual(events.output[0]!.outputs, { y: 4 });
    // A page that draws nothing fails the query.
    const none = failure(core.annotate('m', { x: 5 }, { source: 'test' }));
    page.answer(core);
    assert.match((await none).message, /the page drew no picture for "m"/);
  });

  it('page calls go to the page named, or the least busy; a page that is gone is unavailable', async () => {
    const core = new BridgeCore();
    const a = new FakePage('a', ['m']);
    const b = new FakePage('b', []);
    core.addPage(a);
    core.addPage(b);
    const q = ask(core, 1); // a is busier now
    const call = core.callPage('program.run', { sessionId: 1, files: [], mainfile: 'main.js', limits: { maxPrograms: 1, timeoutMs: 1000 } }, { source: 'test' });
    assert.deepEqual([a.calls.length, b.calls.length], [0, 1]);
    core.settle(b, b.calls[0]!.id, { outputs: { sessionId: 1, status: 'running' } });
    assert.deepEqual(await call, { page: 'b', result: { sessionId: 1, status: 'running' } });
    const named = core.callPage('program.status', { sessionId: 1 }, { source: 'test', page: 'a' });
    core.settle(a, a.calls[0]!.id, { error: new BridgeError('not_found', 'no session 1') });
    assert.equal((await failure(named)).code, 'not_found');
    const gone = await failure(core.callPage('program.status', { sessionId: 1 }, { source: 'test', page: 'zzz' }));
    assert.match(gone.message, /page zzz is no longer connected/);
    a.answer(core);
    assert.equal(await q, 1);
    core.removePage(a, 'x');
    core.removePage(b, 'x');
    assert.match((await failure(core.callPage('program.status', { sessionId: 1 }, { source: 'test' }))).message, /no page is connected/);
  });

  it('shutdown fails every query and call in flight, and every query after it', async () => {
    const core = new BridgeCore();
    const page = new FakePage('a', ['m']);
    core.addPage(page);
    const q = ask(core, 1);
    const call = failure(core.callPage('program.status', { sessionId: 1 }, { source: 'test' }));
    core.close('the bridge is shutting down');
    assert.equal(await q, 'unavailable');
    assert.equal((await call).message, 'the bridge is shutting down');
    // A query that arrives while the listeners close is refused at once, never sent to the page.
    const sent = page.sent.length;
    assert.equal(await ask(core, 2), 'unavailable');
    assert.equal(page.sent.length, sent);
    await tick();
  });
});
