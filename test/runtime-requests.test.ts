// The runtime WebSocket's bad requests end to end (a real `ws` client, the bridge, a headless page):
// each gets an error naming the problem in the protocol's shape, and the connection stays usable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { dataUri, startHarness, type Harness } from './helpers/page.ts';
import { RuntimeClient, type Message } from './helpers/runtime-client.ts';
import { assertFaces } from './helpers/assertions.ts';
import { makeDataDir, program, type DataDir } from './helpers/runtime-programs.ts';

describe('runtime WebSocket: bad requests through the real page', () => {
  let h: Harness;
  let c: RuntimeClient;
  let data: DataDir;

  before(async () => {
    data = makeDataDir();
    h = await startHarness({ runtimePort: 0, dataDir: data.dir, maxBody: 4 * 1024 * 1024 });
    c = await RuntimeClient.connect(h.bridge.listeners.runtime!);
  });
  after(async () => {
    c?.close();
    await h?.close();
    data?.remove();
  });

  describe('bad requests get an error naming the problem; the connection stays usable', () => {
    const stillUsable = async () => {
      const reply = await c.request({ action: 'run_model', model: { name: 'face-detection', data: { image: dataUri('astronaut.jpg', 'image/jpeg') } } });
      assertFaces(reply.output);
    };
    const expectError = async (message: Message | string, pattern: RegExp, action: string | null = typeof message === 'string' ? null : message.action) => {
      const reply = typeof message === 'string' ? await c.sendRaw(message) : await c.request(message);
      assert.equal(reply.action, action);
      assert.match(reply.error ?? '', pattern, JSON.stringify(reply));
      return reply;
    };

    it('not JSON', async () => {
      await expectError('{"action": "status", ', /the message is not JSON/);
      await expectError('[1, 2]', /must be a JSON object with an "action"/);
      await stillUsable();
    });

    it('no action, an unknown action', async () => {
      await expectError({ sessionId: 1 }, /missing attribute "action"/, null);
      const unknown = await expectError({ action: 'fly' }, /unknown action "fly" \(actions: run, status, get_placeholder, get_stats, run_model, stop\)/);
      assert.equal(unknown.code, 'bad_request');
      await stillUsable();
    });

    it('missing or wrong attributes', async () => {
      await expectError({ action: 'run' }, /run: missing attribute "python" or "javascript"/);
      await expectError({ action: 'run', javascript: { files: [{ filename: 'main.js' }], mainfile: 'main.js' } }, /missing attribute "javascript\.files\[0\]\.content"/);
      await expectError({ action: 'run', javascript: { number: 2, files: [{ filename: 'main.js', content: '' }], mainfile: 'main.js' } }, /"javascript\.number" is 2 but "javascript\.files" holds 1 files/);
      await expectError({ action: 'run', javascript: { files: [{ filename: 'a.js', content: '' }], mainfile: 'main.js' } }, /the mainfile "main\.js" is not among the files \(a\.js\)/);
      await expectError({ action: 'status' }, /status: missing attribute "sessionId"/);
      await expectError({ action: 'get_placeholder', placeholder: { sessionId: 1 } }, /missing attribute "placeholder\.name"/);
      await expectError({ action: 'run_model', model: { name: 'x' } }, /missing attribute "model\.data"/);
      await expectError({ action: 'stop', sessionId: { x: 1 } }, /attribute "sessionId" must be integer or string/);
      await stillUsable();
    });

    it('Python programs: the same checks of their files', async () => {
      await expectError({ action: 'run', python: { number: 2, files: [{ filename: 'main.py', content: 'print(1)' }], mainfile: 'main.py' } },
        /"python\.number" is 2 but "python\.files" holds 1 files/);
      await expectError({ action: 'run', python: { files: [{ filename: 'a.py', content: '' }], mainfile: 'main.py' } }, /the mainfile "main\.py" is not among the files \(a\.py\)/);
      await stillUsable();
    });

    it('an unknown session, placeholder or model', async () => {
      const none = await expectError({ action: 'status', sessionId: 42 }, /no session 42: start one with "run"/);
      assert.equal(none.code, 'not_found');
      await expectError({ action: 'stop', sessionId: 'nope' }, /no session "nope"/);
      const run = await c.request(program([{ filename: 'main.js', content: 'export const a = [1, 2, 3];\n' }]));
      await c.finished(run.sessionId);
      await expectError({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'b' } },
        new RegExp(`session ${run.sessionId} has no placeholder "b" \\(placeholders: a\\)`));
      await expectError({ action: 'run_model', model: { sessionId: run.sessionId, name: 'm', data: 1 } }, /has no model "m" \(models: none\)/);
      await expectError({ action: 'run_model', model: { name: 'no-such-model', data: {} } }, /no model "no-such-model"/);
      await expectError({ action: 'run_model', model: { name: 'face-detection', data: { picture: 1 } } }, /missing input "image"/);
      await stillUsable();
    });

    it('a path outside --data-dir, or no such file', async () => {
      const ask = (data: unknown) => ({ action: 'run_model', model: { name: 'face-detection', is_data: false, data } });
      await expectError(ask('../secret.json'), /goes up with "\.\."/);
      await expectError(ask('sub/../../x'), /goes up with "\.\."/);
      await expectError(ask(join(data.outside, 'secret.json')), /is absolute/);
      await expectError(ask('escape.json'), /leads outside --data-dir \(through a link\)/);
      await expectError(ask('missing.jpg'), /no file "missing\.jpg" in --data-dir/);
      await expectError(ask('sub'), /is not a file/);
      await expectError(ask(7), /must be a file path relative to --data-dir/);
      await stillUsable();
    });

    it('a placeholder too big for the relay: an error, and the page stays connected', async () => {
      const run = await c.request(program([{ filename: 'main.js', content: "export const big = 'x'.repeat(9 * 1024 * 1024);\n" }]));
      assert.equal((await c.finished(run.sessionId)).status, 'finished');
      const reply = await expectError({ action: 'get_placeholder', placeholder: { sessionId: run.sessionId, name: 'big' } },
        /over the relay's limit of 8388608 bytes \(--max-body\)/);
      assert.equal(reply.code, 'too_large');
      assert.equal(h.bridge.core.pageCount, 1);
      await stillUsable();
    });

    it('a message over the size limit', async () => {
      const big = JSON.stringify({ action: 'status', sessionId: 1, padding: 'x'.repeat(4.5 * 1024 * 1024) });
      await expectError(big, /over the limit of 4194304 bytes \(--max-body\)/);
      await stillUsable();
    });
  });

  it('refuses a foreign Origin or Host on the upgrade', async () => {
    await assert.rejects(RuntimeClient.connect(h.bridge.listeners.runtime!, { origin: 'https://evil.example' }), /403/);
    await assert.rejects(RuntimeClient.connect(h.bridge.listeners.runtime!, { host: 'attacker.example:8765' }), /403/);
    const local = await RuntimeClient.connect(h.bridge.listeners.runtime!, { origin: 'http://localhost:5173' });
    try {
      assert.equal((await local.request({ action: 'status', sessionId: 1 })).code, 'not_found');
    } finally {
      local.close();
    }
  });
});
