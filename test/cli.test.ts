// The command line as a person runs it: `pagebridge --headless` hosts the page itself, serves the
// default model, starts Chromium again when it dies, and shuts down cleanly on SIGTERM.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import WebSocket from 'ws';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataUri, health, postJson, until, CHROMIUM } from './helpers/page.ts';
import { startBridge } from '../bridge/bridge.ts';
import { silentLog } from '../bridge/log.ts';

// And no mDNS: tests send nothing but to loopback addresses.
const ALL_PORTS_FREE = [
  '--http-port', '0', '--socketio-port', '0', '--osc-port', '0', '--oscquery-port', '0', '--labgraph-port', '0', '--tcp-port', '0', '--runtime-port', '0',
  '--no-mdns',
];

/** Opens a WebSocket; resolves with "open" or the HTTP status it was refused with. */
function tryWebSocket(url: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => { ws.close(); resolve('open'); });
    ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
    ws.on('error', (err) => resolve(`error: ${err.message}`));
  });
}

function startCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bridge/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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

  describe('the pairing token, never on a command line', () => {
    /** Starts the CLI without a page, waits for its page link, and stops it; the token in the link. */
    async function printedToken(args: string[], env: Record<string, string> = {}): Promise<{ token: string; cmdline: string }> {
      const cli = startCli(['--no-headless', ...ALL_PORTS_FREE, ...args], env);
      try {
        const token = await until(() => /page\s+http:\/\/127\.0\.0\.1:\d+\/#token=(\S+)/.exec(cli.output())?.[1], 30_000, 'the page address');
        return { token, cmdline: readFileSync(`/proc/${cli.child.pid}/cmdline`, 'utf8').replaceAll('\0', ' ') };
      } finally {
        cli.child.kill('SIGTERM');
        assert.equal(await cli.exited, 0, cli.output());
      }
    }

    it('--token is refused, naming what to use instead', async () => {
      const cli = startCli(['--no-headless', ...ALL_PORTS_FREE, '--token', 'visible-to-every-user']);
      assert.equal(await cli.exited, 1);
      assert.match(cli.output(), /--token is refused: every local user can read a command line \(ps\)\. Set PAGEBRIDGE_TOKEN, or use --token-file <path>/);
    });

    it('PAGEBRIDGE_TOKEN gives the token, which the bridge prints and does not put on its command line', async () => {
      const { token, cmdline } = await printedToken([], { PAGEBRIDGE_TOKEN: 'from-the-environment-0123456789' });
      assert.equal(token, 'from-the-environment-0123456789');
      assert.ok(!cmdline.includes(token), cmdline);
      const short = startCli(['--no-headless', ...ALL_PORTS_FREE], { PAGEBRIDGE_TOKEN: 'short' });
      assert.equal(await short.exited, 1);
      assert.match(short.output(), /PAGEBRIDGE_TOKEN must be at least 16 characters/);
    });

    it('--open hands the browser a one-time code, not the token: it pairs once, and is refused after', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pagebridge-open-'));
      const opened = join(dir, 'opened');
      // What xdg-open starts (it follows $BROWSER where no desktop is named): it notes its command line.
      const browser = join(dir, 'browser');
      writeFileSync(browser, `#!/bin/sh\necho "$@" >> ${opened}\n`, { mode: 0o700 });
      const cli = startCli(['--open', '--no-headless', ...ALL_PORTS_FREE], {
        BROWSER: browser, PAGEBRIDGE_TOKEN: 'the-token-for-open-0123456789',
        XDG_CURRENT_DESKTOP: '', DESKTOP_SESSION: '', KDE_FULL_SESSION: '', GNOME_DESKTOP_SESSION_ID: '', MATE_DESKTOP_SESSION_ID: '', DISPLAY: '', WAYLAND_DISPLAY: '',
      });
      try {
        const url = await until(() => { try { return readFileSync(opened, 'utf8').trim(); } catch { return undefined; } }, 30_000, 'the browser to be started');
        assert.ok(!url.includes('the-token-for-open-0123456789'), url);
        const [, base, code] = /^(http:\/\/127\.0\.0\.1:\d+)\/#code=([0-9a-f]{32})$/.exec(url)!;
        const relay = `${base!.replace('http', 'ws')}/runtime?code=${code}`;
        assert.equal(await tryWebSocket(relay), 'open');
        assert.equal(await tryWebSocket(relay), '401');
        assert.match(cli.output(), /Pairing code already used/);
      } finally {
        cli.child.kill('SIGTERM');
        await cli.exited;
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('--token-file: created 0600 with a random token when missing, the same token on the next start; refused when others may read it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pagebridge-token-'));
      try {
        const file = join(dir, 'token');
        const first = await printedToken(['--token-file', file]);
        assert.match(first.token, /^[0-9a-f]{32}$/);
        assert.equal(statSync(file).mode & 0o777, 0o600);
        assert.equal(readFileSync(file, 'utf8').trim(), first.token);
        assert.ok(!first.cmdline.includes(first.token));
        assert.equal((await printedToken(['--token-file', file])).token, first.token);

        chmodSync(file, 0o640);
        const cli = startCli(['--no-headless', ...ALL_PORTS_FREE, '--token-file', file]);
        assert.equal(await cli.exited, 1);
        assert.match(cli.output(), /--token-file .*: other users may read or change it \(mode 640\); chmod 600 it/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
