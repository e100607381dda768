// Test harness: the real bridge (in this process), a real headless Chromium page running the real
// runtime, connected over the real relay. Every server binds 127.0.0.1 on a free port.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startBridge, type Bridge } from '../../bridge/bridge.ts';
import { silentLog } from '../../bridge/log.ts';
import type { BridgeOptions } from '../../bridge/options.ts';
import { until } from './wait.ts';

export { until } from './wait.ts';
export { dataUri, fixture } from './fixtures.ts';

export const CHROMIUM = process.env.PAGEBRIDGE_BROWSER ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
  // A fake camera and microphone, granted without asking: live input is tested like the rest.
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
];


export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  const args = [...CHROMIUM_ARGS, ...extraArgs];
  return chromium.launch({
    executablePath: CHROMIUM, headless: true, args: [...args, `--user-data-dir=${mkdtempSync(join(tmpdir(), 'pagebridge-chromium-'))}`],
  }).catch(async () => chromium.launch({ executablePath: CHROMIUM, headless: true, args }));
}

export interface HarnessOptions extends Partial<BridgeOptions> {
  /** The catalogue models the page loads (default: face-detection only, to keep tests quick). */
  models?: string[];
  /** More Chromium flags (a host resolver rule, a file for the fake camera). */
  browserArgs?: string[];
}

export interface Harness {
  bridge: Bridge;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  url: string;
  /** Opens a page on the bridge and waits until the bridge reports its models ready. */
  openPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function health(url: string): Promise<{ status: string; pages: number; models: { id: string; state: string }[]; [k: string]: unknown }> {
  return (await fetch(`${url}/health`)).json() as never;
}

export async function startHarness({ models = ['face-detection'], browserArgs, ...options }: HarnessOptions = {}): Promise<Harness> {
  // Every listener on a free port, so that tests never collide with a running bridge or each other; no
  // mDNS: tests send nothing but to loopback addresses (test/oscquery.test.ts advertises in a namespace).
  const bridge = await startBridge({
    host: '127.0.0.1', httpPort: 0, socketioPort: 0, oscPort: 0, oscqueryPort: 0, labgraphPort: 0, tcpPort: 0, runtimePort: 0,
    // No Runway reply port unless a test names one: tests never send to a real 57200 on this machine.
    oscReplyPort: 0, mdns: false, headless: false, quiet: true, ...options,
  }, silentLog);
  const browser = await launchBrowser(browserArgs).catch(async (err: unknown) => { await bridge.close(); throw err; });
  const context = await browser.newContext();
  const h: Harness = {
    bridge, browser, context, url: bridge.httpUrl, page: undefined as unknown as Page,
    async openPage() {
      const page = await context.newPage();
      await page.goto(`${bridge.pageUrl}&models=${models.join(',')}`);
      // Ready when every connected page (this one too) reports the models ready or failed.
      await until(async () => {
        const { models: views } = (await (await fetch(`${bridge.httpUrl}/models`)).json()) as { models: { id: string; state: string; pages: number }[] };
        return bridge.core.pageCount > 0 && models.every((id) => views.some((m) => m.id === id && (m.state === 'failed' || m.pages === bridge.core.pageCount)));
      }, 60_000, `the page to load ${models.join(', ')}`);
      h.page = page;
      return page;
    },
    async close() {
      await browser.close().catch(() => {});
      await bridge.close();
    },
  };
  try {
    await h.openPage();
  } catch (err) {
    // A page that never gets ready must not leave Chromium and the bridge running: the test file would
    // never end.
    await h.close();
    throw err;
  }
  return h;
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), headers: res.headers };
}
