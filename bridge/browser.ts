// Hosts the page in a headless Chromium, for machines with no desktop (`--headless`).
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Log } from './log.ts';

// Chromium's own background traffic has nowhere to go on an offline machine; keep it quiet.
const FLAGS = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic',
  // WebGPU where the machine has a GPU; onnxruntime-web falls back to WASM where it has none.
  '--enable-unsafe-webgpu',
];

export interface HostedPage {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

export async function hostPage(url: string, executablePath: string, log: Log): Promise<HostedPage> {
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: FLAGS });
  } catch (err) {
    throw new Error(`--headless: could not start Chromium at ${executablePath} (--browser): ${(err as Error).message.split('\n')[0]}`);
  }
  const page = await browser.newPage();
  page.on('pageerror', (err) => log.warn(`page: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) log.warn(`page: ${msg.text()}`); });
  page.on('response', (res) => { if (res.status() >= 400) log.warn(`page: ${res.url()} answered ${res.status()}`); });
  // A crashed renderer drops its relay (the core fails what it held); load the page afresh.
  page.on('crash', () => {
    log.warn('page: the headless page crashed; reloading it');
    page.reload().catch((err: Error) => log.warn(`page: reload failed: ${err.message}`));
  });
  await page.goto(url);
  return {
    browser,
    page,
    close: async () => { await browser.close().catch(() => {}); },
  };
}
