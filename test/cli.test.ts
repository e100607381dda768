// The command line as a person runs it: `pagebridge --headless` hosts the page itself, serves the
// default model, starts Chromium again when it dies, and shuts down cleanly on SIGTERM.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dataUri, health, postJson, until, CHROMIUM } from './helpers/page.ts';
import { startBridge } from '../bridge/bridge.ts';
import { silentLog } from '../bridge/log.ts';

// And no mDNS: tests send nothing but to loopback addresses.
const ALL_PORTS_FREE = [
  '--http-port', '0', '--socketio-port', '0', '--osc-port', '0', '--oscquery-port', '0', '--labgraph-port', '0', '--tcp-port', '0', '--runtime-port', '0',
  '--no-mdns',
];

function startCli(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bridge/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('pagebridge command line', () => {
  it('--headless serves face detection on its own, and shuts down cleanly on SIGTERM', async () => {
    const started = Date.now();
    const cli = startCli(['--headless', '--browser', CHROMIUM, ...ALL_PORTS_FREE]);
    try {
      const url = await until(() => /page\s+(http:\/\/127\.0\.0\.1:\d+)\/#token=[0-9a-f]{32}/.exec(cli.output())?.[1], 30_000, 'the page address');
      await until(async () => (await health(url)).status === 'ok', 60_000, '/health ok');
      const res = await postJson(`${url}/query`, { image: dataUri('astronaut.jpg', 'image/jpeg') });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.faces.some((f: { score: number }) => f.score > 0.5));
      console.log(`# from start to the first answer: ${Date.now() - started} ms`);
      assert.match(cli.output(), /the page runs in a headless Chromium/);
      // Graceful shutdown: queries in flight at SIGTERM are answered or failed, none left hanging. Twenty
      // take the page some 600 ms; 200 ms is long enough for each to have reached the bridge on a busy machine.
      const inflight = Array.from({ length: 20 }, () => postJson(`${url}/query`, { image: dataUri('astronaut.jpg', 'image/jpeg') }).then((r) => r.status, (e: Error) => e.message));
      await new Promise((r) => setTimeout(r, 200));
      cli.child.kill('SIGTERM');
      const statuses = await Promise.all(inflight);
      assert.ok(statuses.every((s) => s === 200 || s === 503), JSON.stringify(statuses));
    } finally {
      cli.child.kill('SIGTERM');
    }
    assert.equal(await cli.exited, 0, cli.output());
    assert.match(cli.output(), /SIGTERM: shutting down/);
  });

  it('--headless starts Chromium again when it dies, and answers again', async () => {
    const bridge = await startBridge({
      host: '127.0.0.1', httpPort: 0, socketioPort: 0, oscPort: 0, oscqueryPort: 0, labgraphPort: 0, tcpPort: 0, runtimePort: 0,
      mdns: false, headless: true, browser: CHROMIUM, quiet: true,
    }, silentLog);
    try {
      const query = () => postJson(`${bridge.httpUrl}/query`, { image: dataUri('astronaut.jpg', 'image/jpeg') });
      await until(async () => (await health(bridge.httpUrl)).status === 'ok', 60_000, 'the hosted page');
      assert.equal((await query()).status, 200);
      const first = bridge.hosted!.pid!;
      process.kill(first, 'SIGKILL');
      await until(() => bridge.core.pageCount === 0, 10_000, 'the relay to drop');
      assert.equal((await query()).status, 503, 'no page: unavailable, at once');
      await until(async () => (await health(bridge.httpUrl)).status === 'ok', 60_000, 'a new hosted page');
      assert.notEqual(bridge.hosted!.pid, first);
      assert.equal((await query()).status, 200);
    } finally {
      await bridge.close();
    }
  });

  it('a busy port is a clear error naming its flag', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const args = [...ALL_PORTS_FREE];
      args[1] = String(port);
      const cli = startCli(['--no-headless', ...args]);
      assert.equal(await cli.exited, 1);
      assert.match(cli.output(), new RegExp(`--http-port ${port}: the port is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('a bad flag value is refused with its name', async () => {
    const cli = startCli(['--http-port', 'eighty']);
    assert.notEqual(await cli.exited, 0);
    assert.match(cli.output(), /--http-port must be a port number/);
  });
});
