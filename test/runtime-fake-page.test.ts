// The runtime WebSocket against the real bridge and a fake page (no browser), with `ws` as client: each
// action as the page call it becomes and the reply it makes, the pushes at a program's end, every error
// as `{error, code}`, the data folder, the message and per-client limits, timeouts and a page leaving.
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANNED_FACES, type FakeProgram } from './helpers/fake-page-answers.ts';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { fixture } from './helpers/fixtures.ts';
import { RuntimeClient, type Message } from './helpers/runtime-client.ts';
import { until } from './helpers/wait.ts';

const MAX_BODY = 64 * 1024;
const WAIT_MS = 10_000;
const JPEG = fixture('astronaut-256.jpg');
const FINISHED = '[state]:EXECUTION_FINISHED';

/** A run of a fake program (its main file says what it does: helpers/fake-page-answers.ts). */
const run = (program: FakeProgram = {}) => ({
  action: 'run', javascript: { number: 2, mainfile: './main.js', files: [{ filename: 'main.js', content: JSON.stringify(program) }, { filename: 'lib/util.js', content: '' }] },
});

describe('the runtime WebSocket against a fake page', () => {
  let f: FakeBridge;
  let c: RuntimeClient;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pagebridge-data-'));
    copyFileSync(new URL('./fixtures/astronaut-256.jpg', import.meta.url), join(dataDir, 'face.jpg'));
    writeFileSync(join(dataDir, 'inputs.json'), JSON.stringify({ x: 10 }));
    writeFileSync(join(dataDir, 'point.json'), JSON.stringify({ x: 21 }));
    writeFileSync(join(dataDir, 'rows.csv'), 'x\n1\n2\n');
    writeFileSync(join(dataDir, 'big.json'), JSON.stringify({ pad: 'a'.repeat(MAX_BODY) }));
    f = await startFakeBridge({ maxBody: MAX_BODY, timeout: 1, maxClientQueue: 2, dataDir, maxPrograms: 3, programTimeout: 60 });
    c = await RuntimeClient.connect(f.listeners.runtime!);
  });
  after(async () => {
    c?.close();
    await f?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('run_model with a page model', () => {
    it('queries the model with the data as its inputs; the reply echoes action and id, outputs images as data URIs', async () => {
      c.ws.send(JSON.stringify({ action: 'run_model', id: 7, model: { name: 'echo', is_data: true, data: { x: 3 } } }));
      assert.deepEqual(await c.next((m) => m.id === 7, WAIT_MS), { action: 'run_model', id: 7, name: 'echo', output: { y: 3 } });
      assert.deepEqual(f.page.queries.at(-1), { model: 'echo', inputs: { x: 3 }, annotate: false });
      const mirrored = await c.request({ action: 'run_model', model: { name: 'mirror', data: { image: JPEG.toString('base64') } } });
      assert.equal(mirrored.output.image, `data:image/jpeg;base64,${JPEG.toString('base64')}`);
      // It is a query like any other: /data has it.
      assert.deepEqual(await (await fetch(`${f.url}/models/echo/data`)).json(), { y: 3 });
    });

    it('is_data: false reads the inputs from --data-dir: a JSON file, or an image as the model’s image input', async () => {
      assert.deepEqual((await c.request({ action: 'run_model', model: { name: 'echo', is_data: false, data: 'inputs.json' } })).output, { y: 10 });
      const face = await c.request({ action: 'run_model', model: { name: 'picture', is_data: false, data: 'face.jpg' } });
      assert.deepEqual(face.output, { faces: CANNED_FACES, received: JPEG.byteLength });
      assert.ok(Buffer.from(f.page.queries.at(-1)!.inputs.image as Uint8Array).equals(JPEG));
      const cases: [unknown, string, string, RegExp][] = [
        ['face.jpg', 'echo', 'bad_request', /^run_model: "echo" takes no image input; give a \.json file of its inputs$/],
        ['rows.csv', 'echo', 'bad_request', /^run_model: a page model takes an object of inputs: give a \.json file or an image, not a csv file$/],
        ['../secret.json', 'echo', 'bad_request', /goes up with "\.\."/],
        ['/etc/passwd', 'echo', 'bad_request', /is absolute/],
        [42, 'echo', 'bad_request', /must be a file path relative to --data-dir/],
        ['missing.json', 'echo', 'not_found', /^no file "missing\.json" in --data-dir/],
        ['big.json', 'echo', 'too_large', /^"big\.json" is \d+ bytes, over the limit of 65536 bytes \(--max-body\)$/],
      ];
      for (const [data, name, code, error] of cases) {
        const r = await c.request({ action: 'run_model', model: { name, is_data: false, data } });
        assert.equal(r.code, code, JSON.stringify(r));
        assert.match(r.error, error);
      }
    });

    it('every core error is {error, code}: input, model, readiness, the page’s own codes, a timeout, a page leaving', async () => {
      const expect = async (data: unknown, name: string, code: string, error: string | RegExp) => {
        const r = await c.request({ action: 'run_model', model: { name, data } });
        assert.equal(r.code, code, JSON.stringify(r));
        if (typeof error === 'string') assert.equal(r.error, error); else assert.match(r.error, error);
        assert.equal(r.action, 'run_model');
        assert.equal(r.output, undefined);
      };
      await expect({ x: 'one' }, 'echo', 'bad_request', 'input "x" must be number: expected a number');
      await expect({ x: 1 }, 'nope', 'not_found', 'no model "nope" (models: echo, picture, mirror, loading, broken)');
      await expect({ x: 1 }, 'loading', 'unavailable', '"loading" is not ready on any page (loading)');
      for (const code of ['bad_request', 'not_found', 'unavailable', 'busy', 'timeout', 'too_large', 'model_failed']) {
        await expect({ x: 1, act: 'fail', code, message: `page: ${code}` }, 'echo', code, `page: ${code}`);
      }
      await expect({ x: 1, act: 'fail', code: 'dropped', message: 'page: dropped' }, 'echo', 'model_failed', 'page: dropped');
      await expect({ x: 1, act: 'fail', code: 'odd', message: 'page: odd' }, 'echo', 'model_failed', 'page: odd');
      await expect({ x: 1, act: 'never' }, 'echo', 'timeout', '"echo" did not answer within 1 s (--timeout)');
      await expect({ x: 1, act: 'leave' }, 'echo', 'unavailable', /^the page running "echo" went away before answering/);
      await f.page.ready(f.bridge.core);
    });

    it('past --max-client-queue (2) one connection gets busy at once; another connection is served', async () => {
      const ids = [1, 2, 3].map((x) => {
        const id = `cap-${x}`;
        c.ws.send(JSON.stringify({ action: 'run_model', id, model: { name: 'echo', data: { x, act: 'hold' } } }));
        return id;
      });
      const busy = await c.next((m) => m.id === ids[2], WAIT_MS, 'the third reply');
      assert.equal(busy.code, 'busy');
      assert.match(busy.error, /^this client has 2 queries waiting, the most allowed for one client \(--max-client-queue\)/);
      await until(() => f.page.held.length === 2, WAIT_MS, 'two queries with the page');
      const other = await RuntimeClient.connect(f.listeners.runtime!);
      assert.deepEqual((await other.request({ action: 'run_model', model: { name: 'echo', data: { x: 9 } } })).output, { y: 9 });
      other.close();
      f.page.release((held) => held.reverse());
      // Replies go out as they are ready, each with its id.
      const replies = await Promise.all(ids.slice(0, 2).map((id) => c.next((m) => m.id === id, WAIT_MS)));
      assert.deepEqual(replies.map((r) => r.output), [{ y: 1 }, { y: 2 }]);
    });
  });

  describe('programs (page calls)', () => {
    it('run: the page gets program.run with the files and limits; the reply comes at once; the end is pushed to the client that ran it', async () => {
      const started = await c.request(run({ end: 'finished' }));
      assert.equal(started.type, '[status]:EXECUTION_STARTED');
      assert.equal(started.status, 'running');
      assert.equal(started.message, 'Execution started');
      // A client's session id is 128 random bits; the page knows the session by a number of its own.
      assert.match(started.sessionId, /^[0-9a-f]{32}$/);
      const call = f.page.calls.findLast((x) => x.kind === 'program.run')!;
      const pageId = (call.payload as { sessionId: unknown }).sessionId;
      assert.equal(typeof pageId, 'number');
      assert.deepEqual(call.payload, {
        sessionId: pageId, mainfile: './main.js', limits: { maxPrograms: 3, timeoutMs: 60_000 }, language: 'javascript',
        files: [{ filename: 'main.js', content: '{"end":"finished"}' }, { filename: 'lib/util.js', content: '' }],
      });
      const end = await c.finished(started.sessionId, WAIT_MS);
      assert.deepEqual(end, { action: 'run', id: started.id, type: FINISHED, sessionId: started.sessionId, status: 'finished', description: 'execution finished: all placeholders are ready' });
    });

    it('an end the page reports before its run answer is pushed after the run reply, never before', async () => {
      const before = c.received.length;
      const started = await c.request(run({ end: 'failed', early: true }));
      const end = await c.finished(started.sessionId, WAIT_MS);
      assert.ok(c.received.indexOf(started) >= before && c.received.indexOf(started) < c.received.indexOf(end), 'the run reply first');
      assert.equal(end.status, 'failed');
      assert.equal(end.description, 'execution failed: see "error"');
      assert.deepEqual(end.error, { name: 'RangeError', message: 'n must be positive', file: 'main.js', line: 3 });
    });

    it('status, get_placeholder, get_stats, run_model and stop go to the page that runs the session', async () => {
      const { sessionId } = await c.request(run({ placeholders: { message: 'hi', table: [1, 2, 3] } }));
      const pageId = (f.page.calls.findLast((x) => x.kind === 'program.run')!.payload as { sessionId: number }).sessionId;
      const status = await c.request({ action: 'status', sessionId });
      assert.equal(status.status, 'running');
      assert.equal(status.sessionId, sessionId);
      assert.deepEqual(status.placeholders, ['message', 'table']);
      // Any client that holds a session's id may ask about it.
      const other = await RuntimeClient.connect(f.listeners.runtime!);
      const value = await other.request({ action: 'get_placeholder', placeholder: { sessionId, name: 'message' } });
      assert.deepEqual(value, { action: 'get_placeholder', id: value.id, type: '[placeholder]:VALUE', sessionId, name: 'message', value: 'hi' });
      const missing = await other.request({ action: 'get_placeholder', placeholder: { sessionId, name: 'nothing' } });
      assert.deepEqual([missing.code, missing.error], ['not_found', 'no placeholder "nothing" (placeholders: message, table)']);
      const stats = await other.request({ action: 'get_stats', placeholder: { sessionId, name: 'table' } });
      assert.deepEqual(stats, { action: 'get_stats', id: stats.id, type: '[placeholder]:STATS', sessionId, name: 'table', shape: [3], columns: { value: { mean: 2 } } });
      assert.deepEqual(f.page.calls.at(-1), { kind: 'program.stats', payload: { sessionId: pageId, name: 'table' } });
      const predicted = await other.request({ action: 'run_model', model: { sessionId, name: 'double', is_data: false, data: 'point.json' } });
      assert.deepEqual(predicted, { action: 'run_model', id: predicted.id, sessionId, name: 'double', output: { doubled: 42 } });
      assert.deepEqual(f.page.calls.at(-1), { kind: 'program.predict', payload: { sessionId: pageId, name: 'double', data: { x: 21 } } });
      other.close();

      const stopped = await c.request({ action: 'stop', sessionId });
      assert.equal(stopped.status, 'stopped');
      assert.equal(typeof stopped.endedAt, 'string');
      assert.equal((await c.finished(sessionId, WAIT_MS)).status, 'stopped');
      assert.equal((await c.request({ action: 'status', sessionId })).status, 'stopped');
    });

    it("another client cannot guess a session's id: neighbours, the page's number and random ids are not found; the owner is served meanwhile", async () => {
      const { sessionId } = await c.request(run({ placeholders: { message: 'mine' } }));
      const pageId = (f.page.calls.findLast((x) => x.kind === 'program.run')!.payload as { sessionId: number }).sessionId;
      const { sessionId: next } = await c.request(run({ placeholders: { message: 'next' } }));
      assert.notEqual(next, sessionId);
      const attacker = await RuntimeClient.connect(f.listeners.runtime!);
      try {
        const last = BigInt(`0x${sessionId}`);
        const guesses: unknown[] = [
          pageId, pageId + 1, String(pageId), (last + 1n).toString(16).padStart(32, '0'), (last - 1n).toString(16).padStart(32, '0'),
          sessionId.toUpperCase(), ` ${sessionId}`, '0'.repeat(32), ...Array.from({ length: 20 }, () => randomBytes(16).toString('hex')),
        ];
        for (const guess of guesses) {
          for (const m of [{ action: 'status', sessionId: guess }, { action: 'stop', sessionId: guess },
            { action: 'get_placeholder', placeholder: { sessionId: guess, name: 'message' } }]) {
            const r = await attacker.request(m);
            assert.equal(r.code, 'not_found', JSON.stringify([m, r]));
          }
        }
        // Nothing was stopped; the owner still reads its own.
        const mine = await c.request({ action: 'get_placeholder', placeholder: { sessionId, name: 'message' } });
        assert.equal(mine.value, 'mine');
        assert.equal((await c.request({ action: 'status', sessionId })).status, 'running');
        assert.equal((await c.request({ action: 'status', sessionId: next })).status, 'running');
      } finally {
        attacker.close();
        for (const id of [sessionId, next]) await c.request({ action: 'stop', sessionId: id });
      }
    });

    it('the page leaving: its running session ends failed (pushed), status says pageGone, other actions are unavailable', async () => {
      const { sessionId } = await c.request(run({ placeholders: { message: 'hi' } }));
      f.page.drop();
      const end = await c.finished(sessionId, WAIT_MS);
      assert.equal(end.status, 'failed');
      assert.match(end.error.message, /^the page running the program went away \(connection closed, code \d+\)$/);
      await f.page.ready(f.bridge.core);
      const status = await c.request({ action: 'status', sessionId });
      assert.equal(status.status, 'failed');
      assert.match(status.pageGone, /^connection closed, code \d+$/);
      for (const m of [{ action: 'stop', sessionId }, { action: 'get_placeholder', placeholder: { sessionId, name: 'message' } }]) {
        const r = await c.request(m);
        assert.equal(r.code, 'unavailable', JSON.stringify(r));
        assert.match(r.error, new RegExp(`^the page that ran session ${sessionId} went away`));
      }
    });
  });

  describe('bad messages', () => {
    it('each is answered with {error, code} naming the problem; the connection stays usable', async () => {
      const raw = await c.sendRaw('{not json');
      assert.equal(raw.action, null);
      assert.equal(raw.code, 'bad_request');
      assert.match(raw.error, /^the message is not JSON \(.*\): send a JSON object with an "action"$/);
      assert.deepEqual(await c.sendRaw('[1]'), { action: null, error: 'the message must be a JSON object with an "action"', code: 'bad_request' });
      const cases: [Message, string, string][] = [
        [{}, 'bad_request', 'missing attribute "action" (one of run, status, get_placeholder, get_stats, run_model, stop)'],
        [{ action: 'fly' }, 'bad_request', 'unknown action "fly" (actions: run, status, get_placeholder, get_stats, run_model, stop)'],
        [{ action: 'run' }, 'bad_request', 'run: missing attribute "python" or "javascript" (the program: {"number", "files", "mainfile"})'],
        [{ action: 'run', python: { files: [] }, javascript: { files: [] } }, 'bad_request', 'run: give one program, "python" or "javascript", not both'],
        [{ action: 'run', python: { files: [], mainfile: 'a.py' } }, 'bad_request', 'run: attribute "python.files" must NOT have fewer than 1 items'],
        [{ action: 'run', javascript: { files: [] , mainfile: 'a.js' } }, 'bad_request', 'run: attribute "javascript.files" must NOT have fewer than 1 items'],
        [{ action: 'run', javascript: { number: 3, files: [{ filename: 'a.js', content: '' }], mainfile: 'a.js' } }, 'bad_request', 'run: "javascript.number" is 3 but "javascript.files" holds 1 files'],
        [{ action: 'run', javascript: { files: [{ filename: 'a.js', content: '' }], mainfile: 'b.js' } }, 'bad_request', 'run: the mainfile "b.js" is not among the files (a.js)'],
        [{ action: 'status' }, 'bad_request', 'status: missing attribute "sessionId"'],
        [{ action: 'status', sessionId: true }, 'bad_request', 'status: attribute "sessionId" must be integer or string'],
        [{ action: 'get_placeholder', placeholder: { sessionId: 1 } }, 'bad_request', 'get_placeholder: missing attribute "placeholder.name"'],
        [{ action: 'run_model', model: { name: 'echo' } }, 'bad_request', 'run_model: missing attribute "model.data"'],
        [{ action: 'status', sessionId: 42 }, 'not_found', 'no session 42: start one with "run"'],
        [{ action: 'stop', sessionId: '42' }, 'not_found', 'no session "42": start one with "run"'],
      ];
      for (const [message, code, error] of cases) {
        const r = await c.request(message);
        assert.deepEqual([r.code, r.error], [code, error], JSON.stringify(message));
        assert.equal(r.action, message.action ?? null);
      }
      assert.deepEqual((await c.request({ action: 'run_model', model: { name: 'echo', data: { x: 1 } } })).output, { y: 1 });
    });

    it(`a message over --max-body (${MAX_BODY} bytes) is too_large; one over twice that closes the connection (1009)`, async () => {
      // Not read, so its id is not known either.
      const big = await c.sendRaw(JSON.stringify({ action: 'run_model', id: 'big', model: { name: 'echo', data: { x: 1, pad: 'a'.repeat(MAX_BODY) } } }));
      assert.equal(big.action, null);
      assert.equal(big.code, 'too_large');
      assert.match(big.error, /^the message is \d+ bytes, over the limit of 65536 bytes \(--max-body\)$/);
      const doomed = await RuntimeClient.connect(f.listeners.runtime!);
      const closed = new Promise<number>((resolve) => doomed.ws.once('close', (code) => resolve(code)));
      doomed.ws.send(JSON.stringify({ action: 'status', sessionId: 1, pad: 'a'.repeat(2 * MAX_BODY) }));
      assert.equal(await closed, 1009);
      assert.deepEqual((await c.request({ action: 'run_model', model: { name: 'echo', data: { x: 2 } } })).output, { y: 2 });
    });
  });
});

describe('the runtime WebSocket without a page', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ pageModels: false }); });
  after(async () => { await f?.close(); });

  it('run is unavailable while no page is connected', async () => {
    const c = await RuntimeClient.connect(f.listeners.runtime!);
    try {
      const r = await c.request(run());
      assert.deepEqual([r.code, r.error], ['unavailable', 'no page is connected: open the page or start the bridge with --headless']);
    } finally {
      c.close();
    }
  });
});
