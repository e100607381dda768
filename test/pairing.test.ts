// Pairing as an attacker on the same machine tries it (docs/security.md, "Pairing"): the long-lived
// token and the one-time codes are in no process list; a code works once; a page paired by someone
// else's use of a code, or with a wrong or missing secret, gets nothing; the page's own reconnects
// (a dropped socket, a reload, a bridge restart) keep working; `#bridge=` to another host needs the
// person's confirmation. Each checks that a good client's queries are answered meanwhile.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Page } from 'playwright-core';
import { startBridge, type Bridge } from '../bridge/bridge.ts';
import { silentLog } from '../bridge/log.ts';
import { Pairing } from '../bridge/relay/pairing.ts';
import { FakePage, recordingLog, relayUrl, startFakeBridge, stubStaticDir, type FakeBridge } from './helpers/fake-page.ts';
import { CHROMIUM, dataUri, health, launchBrowser, postJson, until } from './helpers/page.ts';
import { sleep } from './helpers/wait.ts';

const FACE = { image: dataUri('astronaut.jpg', 'image/jpeg') };
const FREE_PORTS = { host: '127.0.0.1', socketioPort: 0, oscPort: 0, oscqueryPort: 0, labgraphPort: 0, tcpPort: 0, runtimePort: 0, oscReplyPort: 0, mdns: false };

const wsBase = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/runtime`;
const codeOf = (pairingUrl: string) => new URLSearchParams(new URL(pairingUrl).hash.slice(1)).get('code')!;

/** Every process's command line, as any local user reads them. */
const processList = () => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

/** The command lines of process `root` and every process below it. */
function processTree(root: number): string[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\n').map((l) => /^\s*(\d+)\s+(\d+)\s(.*)$/.exec(l)).filter((m) => m !== null).map((m) => ({ pid: +m[1]!, ppid: +m[2]!, args: m[3]! }));
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of rows) if (!tree.has(r.pid) && tree.has(r.ppid)) { tree.add(r.pid); grew = true; }
  }
  return rows.filter((r) => tree.has(r.pid)).map((r) => r.args);
}

/** A page that tries to pair with `query` (`code=…`, `secret=…`) and never gets further than being refused. */
function attacker(httpUrl: string, query: string): FakePage {
  const page = new FakePage(`${wsBase(httpUrl)}?${query}`);
  page.client.connect();
  return page;
}

/** Twenty queries of the echo model, each answered with its own y. */
async function goodClientServed(url: string): Promise<void> {
  const answers = await Promise.all(Array.from({ length: 20 }, (_, x) => postJson(`${url}/query`, { x })));
  assert.deepEqual(answers.map((a) => [a.status, a.body.y]), Array.from({ length: 20 }, (_, x) => [200, x]));
}

describe('pairing codes and session secrets (bridge/relay/pairing.ts)', () => {
  it('a code pairs once and gets a secret; a second use, an unknown or an expired code, a forged secret are refused', () => {
    const log = recordingLog();
    const pairing = new Pairing('the-long-lived-token', log);
    const code = pairing.issueCode();
    assert.match(code, /^[0-9a-f]{32}$/);
    const first = pairing.check(new URLSearchParams({ code }));
    assert.ok(first.ok && first.via === 'code' && first.secret);
    assert.deepEqual(pairing.check(new URLSearchParams({ code })), { ok: false, why: 'Pairing code already used' });
    assert.ok(log.warnings.some((w) => /a pairing code was presented a second time and refused/.test(w)), log.warnings.join('\n'));
    assert.deepEqual(pairing.check(new URLSearchParams({ code: 'f'.repeat(32) })), { ok: false, why: 'Unknown pairing code' });

    assert.deepEqual(pairing.check(new URLSearchParams({ secret: first.secret })), { ok: true, via: 'secret' });
    const [nonce, mac] = first.secret.split('.');
    for (const forged of ['', 'x', nonce!, `${nonce}.`, `.${mac}`, `${nonce}.${mac}x`, `${nonce}x.${mac}`, `${nonce}.${mac}.${mac}`]) {
      assert.deepEqual(pairing.check(new URLSearchParams({ secret: forged })), { ok: false, why: 'Wrong session secret' }, forged);
    }
    // The secret is the token's: a bridge restarted with the same token knows it, one with another does not.
    assert.equal(new Pairing('the-long-lived-token', log).check(new URLSearchParams({ secret: first.secret })).ok, true);
    assert.equal(new Pairing('another-token-altogether', log).check(new URLSearchParams({ secret: first.secret })).ok, false);

    assert.deepEqual(pairing.check(new URLSearchParams({ token: 'the-long-lived-token' })), { ok: true, via: 'token' });
    assert.deepEqual(pairing.check(new URLSearchParams({ token: 'the-long-lived-toke' })), { ok: false, why: 'Wrong or missing pairing token' });
    assert.deepEqual(pairing.check(new URLSearchParams()), { ok: false, why: 'Wrong or missing pairing token' });

    const expiring = new Pairing('the-long-lived-token', log, -1);
    assert.deepEqual(expiring.check(new URLSearchParams({ code: expiring.issueCode() })), { ok: false, why: 'Pairing code expired' });
  });

  it('a code issued for a headless page carries its label into the secret; the label cannot be changed without the token', () => {
    const pairing = new Pairing('the-long-lived-token', recordingLog());
    const paired = pairing.check(new URLSearchParams({ code: pairing.issueCode('headless-2') }));
    assert.ok(paired.ok && paired.secret);
    assert.equal(paired.label, 'headless-2');
    const again = pairing.check(new URLSearchParams({ secret: paired.secret }));
    assert.deepEqual(again, { ok: true, via: 'secret', label: 'headless-2' });
    // Another label in the nonce breaks the MAC.
    const [nonce, mac] = paired.secret.split('.');
    assert.equal(pairing.check(new URLSearchParams({ secret: `${nonce!.replace('headless-2', 'headless-1')}.${mac}` })).ok, false);
    // Unlabelled codes and the token have none.
    assert.equal((pairing.check(new URLSearchParams({ code: pairing.issueCode() })) as { label?: string }).label, undefined);
    assert.deepEqual(pairing.check(new URLSearchParams({ token: 'the-long-lived-token' })), { ok: true, via: 'token' });
    assert.throws(() => pairing.issueCode('no.dots'), /label/);
  });
});

describe('pairing over the relay, fake pages', () => {
  let f: FakeBridge;
  let page: FakePage;
  before(async () => {
    f = await startFakeBridge({ pageModels: false });
    page = new FakePage(`${wsBase(f.url)}?code=${codeOf(f.bridge.pairingUrl())}`);
    page.client.connect();
    await page.ready(f.bridge.core);
  });
  after(async () => {
    page?.close();
    await f?.close();
  });

  it('a page paired by a code is told a session secret, and serves', async () => {
    const paired = page.wire.framesIn().flat().filter((m) => (m as { type: string }).type === 'paired') as { secret: string }[];
    assert.equal(paired.length, 1);
    assert.match(paired[0]!.secret, /^[\w-]{22}\.[\w-]{43}$/);
    await goodClientServed(f.url);
  });

  it('the code used again (as read from a process list) is refused and logged; that page gets nothing, the paired page keeps serving', async () => {
    const code = new URL(page.wire.sockets[0]!.url).searchParams.get('code')!;
    const thief = attacker(f.url, `code=${code}`);
    try {
      await until(() => thief.wire.errors.length >= 2, 10_000, 'the thief to be refused twice');
      await goodClientServed(f.url);
      assert.equal(thief.connected, false);
      assert.equal(thief.wire.in.length, 0, 'not one relay message reached it');
      assert.equal(thief.queries.length, 0);
      assert.equal(f.bridge.core.pageCount, 1);
      assert.ok(f.log.warnings.some((w) => /^relay: refused a page from 127\.0\.0\.1 \(origin none\): Pairing code already used$/.test(w)), f.log.warnings.join('\n'));
      assert.ok(f.log.warnings.some((w) => /a pairing code was presented a second time/.test(w)));
    } finally {
      thief.close();
    }
  });

  it('a page with a wrong, forged or missing secret, or a code never issued, gets nothing', async () => {
    const thieves = ['secret=wrong', 'secret=', `secret=${'A'.repeat(22)}.${'B'.repeat(43)}`, `code=${'0'.repeat(32)}`, '', 'token=']
      .map((q) => attacker(f.url, q));
    try {
      await until(() => thieves.every((t) => t.wire.errors.length >= 1), 10_000, 'every fake page refused');
      await goodClientServed(f.url);
      for (const t of thieves) {
        assert.equal(t.wire.in.length, 0);
        assert.equal(t.queries.length, 0);
      }
      assert.equal(f.bridge.core.pageCount, 1);
    } finally {
      for (const t of thieves) t.close();
    }
  });

  it('the paired page reconnects with its secret when its socket drops', async () => {
    page.drop();
    await until(() => page.states.filter((s) => s === 'connected').length === 2, 10_000, 'the page connected again');
    await page.ready(f.bridge.core);
    const again = new URL(page.wire.sockets.at(-1)!.url).searchParams;
    assert.equal(again.get('code'), null);
    assert.match(again.get('secret')!, /^[\w-]{22}\.[\w-]{43}$/);
    await goodClientServed(f.url);
  });
});

describe('pairing across a bridge restart, a fake page', () => {
  it('a page paired by a code reconnects to a bridge restarted with the same token, not to one with another', async () => {
    const staticDir = stubStaticDir();
    const options = { ...FREE_PORTS, headless: false, staticDir, token: 'restart-token-0123456789' };
    let bridge: Bridge = await startBridge({ ...options, httpPort: 0 }, silentLog);
    const port = Number(new URL(bridge.httpUrl).port);
    const page = new FakePage(`${wsBase(bridge.httpUrl)}?code=${codeOf(bridge.pairingUrl())}`);
    try {
      page.client.connect();
      await page.ready(bridge.core);
      await bridge.close();
      await until(() => page.states.at(-1) === 'disconnected', 5000, 'the page to see the bridge go');
      bridge = await startBridge({ ...options, httpPort: port }, silentLog);
      await page.ready(bridge.core, new Map(), 20_000);
      await goodClientServed(bridge.httpUrl);

      await bridge.close();
      const log = recordingLog();
      bridge = await startBridge({ ...options, token: 'another-token-0123456789', httpPort: port }, log);
      await until(() => log.warnings.some((w) => /: Wrong session secret$/.test(w)), 20_000, 'the page refused');
      assert.equal(bridge.core.pageCount, 0);
    } finally {
      page.close();
      await bridge.close();
    }
  });
});

describe('pairing a real page by a code', () => {
  it('the page trades its code for a secret, drops the code from its address, and reconnects after a reload and a bridge restart', async () => {
    const options = { ...FREE_PORTS, headless: false, quiet: true, token: 'page-restart-token-0123456789' };
    let bridge = await startBridge({ ...options, httpPort: 0 }, silentLog);
    const port = Number(new URL(bridge.httpUrl).port);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const pairingUrl = bridge.pairingUrl();
      await page.goto(`${pairingUrl}&models=face-detection`);
      await until(async () => (await health(bridge.httpUrl)).status === 'ok', 60_000, 'the page paired and ready');
      const hash = await until(async () => { const h = await page.evaluate(() => location.hash); return h.includes('code=') ? undefined : h; }, 5000, 'the code to leave the address');
      assert.equal(hash, '#models=face-detection');
      const stored = await page.evaluate(() => Object.entries(sessionStorage));
      assert.equal(stored.length, 1);
      assert.match(stored[0]![1], /^[\w-]{22}\.[\w-]{43}$/);
      assert.equal((await postJson(`${bridge.httpUrl}/query`, FACE)).status, 200);

      // A reload: the address has no code any more; the secret from sessionStorage pairs it again.
      await page.reload();
      await until(async () => (await health(bridge.httpUrl)).status === 'ok' && bridge.core.pageCount === 1, 60_000, 'the reloaded page');
      assert.equal((await postJson(`${bridge.httpUrl}/query`, FACE)).status, 200);

      // A bridge restarted with the same token: the page's secret still pairs it.
      const log = recordingLog();
      await bridge.close();
      bridge = await startBridge({ ...options, httpPort: port }, log);
      await until(async () => (await health(bridge.httpUrl)).status === 'ok', 60_000, 'the page reconnected to the restarted bridge');
      assert.equal((await postJson(`${bridge.httpUrl}/query`, FACE)).status, 200);
      assert.deepEqual(log.warnings.filter((w) => w.startsWith('relay:')), []);
    } finally {
      await browser.close();
      await bridge.close();
    }
  });
});

describe('#bridge= in the page address', () => {
  let home: Bridge;
  let other: Bridge;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  before(async () => {
    home = await startBridge({ ...FREE_PORTS, httpPort: 0, headless: false, quiet: true }, silentLog);
    other = await startBridge({ ...FREE_PORTS, httpPort: 0, headless: false, quiet: true }, silentLog);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await home?.close();
    await other?.close();
  });

  /** Opens the home bridge's page pointed at the other bridge; `answer` the confirm dialog. */
  async function open(answer: 'accept' | 'dismiss'): Promise<{ page: Page; dialogs: string[] }> {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); void d[answer](); });
    const otherHost = new URL(other.httpUrl).host;
    await page.goto(`${home.httpUrl}/#token=${other.token}&bridge=${otherHost}&models=face-detection`);
    return { page, dialogs };
  }

  it('another host is not connected without the person confirming it, named in the dialog', async () => {
    const { page, dialogs } = await open('dismiss');
    try {
      await until(() => dialogs.length > 0, 10_000, 'the confirm dialog');
      assert.match(dialogs[0]!, new RegExp(`the bridge at ${new URL(other.httpUrl).host.replace(/\./g, '\\.')}\\?`));
      await until(async () => /not confirmed/.test(await page.locator('#bridge-state').innerText()), 10_000, 'the page to say so');
      await sleep(1000); // a relay would have connected by now
      assert.equal(other.core.pageCount, 0);
      assert.equal(home.core.pageCount, 0);
    } finally {
      await page.close();
    }
  });

  it('once confirmed, it connects there and serves', async () => {
    const { page, dialogs } = await open('accept');
    try {
      await until(async () => (await health(other.httpUrl)).status === 'ok', 60_000, 'the page to serve the other bridge');
      assert.equal(dialogs.length, 1);
      assert.equal((await postJson(`${other.httpUrl}/query`, FACE)).status, 200);
      assert.equal(home.core.pageCount, 0);
    } finally {
      await page.close();
    }
  });

  it("the page's own host in #bridge= asks nothing", async () => {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    try {
      await page.goto(`${home.httpUrl}/#token=${home.token}&bridge=${new URL(home.httpUrl).host}&models=face-detection`);
      await until(async () => (await health(home.httpUrl)).status === 'ok', 60_000, 'the page to serve its own bridge');
      assert.deepEqual(dialogs, []);
    } finally {
      await page.close();
    }
  });
});

describe('--headless: what a process list shows', () => {
  let bridge: Bridge;
  const log = recordingLog();
  before(async () => {
    bridge = await startBridge({ ...FREE_PORTS, httpPort: 0, headless: true, browser: CHROMIUM }, log);
    await until(async () => (await health(bridge.httpUrl)).status === 'ok', 60_000, 'the hosted page');
  });
  after(async () => { await bridge?.close(); });

  it("neither the token nor the page's code is on any command line; the start file holding the code is the user's alone", () => {
    const args = readFileSync(`/proc/${bridge.hosted!.pid}/cmdline`, 'utf8').split('\0');
    const profile = args.find((a) => a.startsWith('--user-data-dir='))!.slice('--user-data-dir='.length);
    const start = `${profile}/start.html`;
    const code = /#code=([0-9a-f]{32})/.exec(readFileSync(start, 'utf8'))![1]!;
    const list = processList();
    for (const secret of [bridge.token, code]) assert.ok(!list.includes(secret), 'a credential shows in ps');
    const chromium = processTree(bridge.hosted!.pid!);
    assert.ok(chromium.length > 1, 'the browser and its helpers');
    assert.ok(chromium.some((line) => line.includes(`file://${start}`)), 'Chromium is started on the start file');
    for (const line of chromium) assert.doesNotMatch(line, /[#?&](token|code|secret)=/);
    assert.equal(statSync(start).mode & 0o777, 0o600);
    assert.equal(statSync(dirname(start)).mode & 0o777, 0o700);
  });

  it("the start file's code, used again, is refused; that page gets nothing and the hosted page keeps serving", async () => {
    const args = readFileSync(`/proc/${bridge.hosted!.pid}/cmdline`, 'utf8').split('\0');
    const profile = args.find((a) => a.startsWith('--user-data-dir='))!.slice('--user-data-dir='.length);
    const code = /#code=([0-9a-f]{32})/.exec(readFileSync(`${profile}/start.html`, 'utf8'))![1]!;
    const thief = attacker(bridge.httpUrl, `code=${code}`);
    try {
      await until(() => thief.wire.errors.length >= 1, 10_000, 'the thief refused');
      const res = await postJson(`${bridge.httpUrl}/query`, FACE);
      assert.equal(res.status, 200);
      assert.ok(res.body.faces[0].score > 0.5);
      assert.equal(thief.wire.in.length, 0);
      assert.equal(bridge.core.pageCount, 1);
      assert.ok(log.warnings.some((w) => /: Pairing code already used$/.test(w)), log.warnings.join('\n'));
    } finally {
      thief.close();
    }
  });
});

// The long-lived token on the relay still pairs (the link printed in the terminal, scripts).
describe('the token link', () => {
  it('a page with the token pairs, as before', async () => {
    const f = await startFakeBridge({ pageModels: false });
    const page = new FakePage(relayUrl(f.url, f.bridge.token));
    try {
      page.client.connect();
      await page.ready(f.bridge.core);
      await goodClientServed(f.url);
      assert.ok(!page.wire.framesIn().flat().some((m) => (m as { type: string }).type === 'paired'), 'no secret for a token');
    } finally {
      page.close();
      await f.close();
    }
  });
});
