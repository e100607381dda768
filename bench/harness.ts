// What the sections measure against: the bridge in its own process and a page in Chromium, either
// hosted by the bridge itself (as a user runs it) or driven by the benchmark (to measure inside it).
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/helpers/page.ts';
import { identityModel } from '../test/helpers/onnx.ts';
import { servedDist } from '../test/helpers/static-dir.ts';
import type { Listeners } from '../test/helpers/clients.ts';
import { startChild } from './child-process.ts';

/** The bridge in its own process and a page in Chromium: either driven by the benchmark (to measure
 *  inside it) or hosted by the bridge itself (`--headless`, as a user runs it, no DevTools attached). */
export interface Harness { url: string; listeners: Listeners; page?: Page; bridge: ChildProcess; browser?: Browser; close(): Promise<void> }
export interface DrivenHarness extends Harness { page: Page; browser: Browser }

/** A query of the identity model both harnesses serve (x: float32 [1, 4]): the tiny model. */
export const TINY = { x: { dtype: 'float32', dims: [1, 4], data: [1, 2, 3, 4] } };
export const TINY_BODY = JSON.stringify(TINY);

const PORTS = [
  ...['--http-port', '--socketio-port', '--osc-port', '--oscquery-port', '--labgraph-port', '--tcp-port', '--runtime-port'].flatMap((f) => [f, '0']),
  '--no-mdns',
];

/** Polls the bridge's /health until each of `models` is ready; returns its listeners' addresses. */
export async function waitReady(url: string, models: string[]): Promise<Listeners> {
  for (;;) {
    const h = (await (await fetch(`${url}/health`)).json()) as { models: { id: string; state: string }[]; listeners: Listeners };
    if (models.every((id) => h.models.some((m) => m.id === id && m.state === 'ready'))) return h.listeners;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The bridge with `--headless`, hosting its own page, as a user without a desktop runs it; the page
 * serves the identity model (generated here) and `models` (face detection unless told). For every figure
 * measured through the relay: a DevTools-driven page would pay for DevTools' copy of each relay frame.
 * `files` are served beside the page (a blank page of the bridge's origin, for the embed API); `args`: more
 * flags (`--pages 2`).
 */
export async function startHostedBridge(models = ['face-detection'], files: Record<string, string> = {}, args: string[] = []): Promise<Harness> {
  const dir = servedDist(models, {
    identity: {
      'model.onnx': identityModel(4),
      'model.json': JSON.stringify({
        id: 'identity', title: 'Identity (benchmark)', file: 'model.onnx', adapter: 'tensor',
        inputs: [{ name: 'x', type: 'tensor', dtype: 'float32', dims: [1, 4] }], outputs: [{ name: 'y', type: 'tensor', dtype: 'float32', dims: [1, 4] }],
      }),
    },
  }, files);
  const { child, match } = await startChild(['--import', 'tsx', 'bridge/cli.ts', '--headless', '--browser', CHROMIUM, '--static-dir', dir,
    '--quiet', '--max-queue', '1024', ...PORTS, ...args], /page\s+(http:\/\/[\d.]+:\d+)\/#token=\w+/);
  const url = match[1]!;
  const listeners = await waitReady(url, [...models, 'identity']);
  return {
    url, listeners, bridge: child,
    async close() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The bridge and a page the benchmark drives (to time inference inside it and read its memory). */
export async function startBridgeAndPage(models: string[]): Promise<DrivenHarness> {
  const { child, match } = await startChild(['--import', 'tsx', 'bridge/cli.ts', '--no-headless', '--quiet', '--max-queue', '1024', ...PORTS],
    /page\s+(http:\/\/[\d.]+:\d+)\/#token=\w+/);
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    // Eager memory measurement: measureUserAgentSpecificMemory answers at once instead of at the next GC.
    args: [...CHROMIUM_ARGS, '--enable-blink-features=ForceEagerMeasureMemory'],
  });
  const page = await browser.newPage();
  await page.goto(`${match[0].split(/\s+/)[1]}&models=${models.join(',')}`);
  const url = match[1]!;
  const listeners = await waitReady(url, models);
  return {
    url, listeners, page, bridge: child, browser,
    async close() { await browser.close(); child.kill('SIGTERM'); },
  };
}
