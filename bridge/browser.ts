// Hosts the page in a headless Chromium, for machines with no desktop (`--headless`).
//
// Chromium runs as a plain child process, not under a DevTools driver: a driver (playwright,
// puppeteer) enables DevTools' network reporting on the page, which copies every relay frame into a
// DevTools event for the driver to read. That halved the relay's throughput (see README, benchmarks).
// The page needs no driving: it connects to the relay by itself and reconnects when it must.
//
// Chromium's command line is readable by every local user (`ps`): it names a start file instead of the
// page's address, a file only this user can read that sends Chromium on to the page with a one-time
// pairing code (docs/security.md, "Pairing").
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Log } from './log.ts';

// Chromium's own background traffic has nowhere to go on an offline machine; keep it quiet.
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--no-default-browser-check', '--disable-quic', '--mute-audio',
  // WebGPU where the machine has a GPU; onnxruntime-web falls back to WASM where it has none.
  '--enable-unsafe-webgpu',
  // Console messages and uncaught errors of the page and its workers, on stderr ("INFO:CONSOLE").
  '--enable-logging=stderr', '--log-level=0',
];

// Headless Chromium on Linux reaches a GPU only through Vulkan (no display, no GL): these found an
// NVIDIA H100's adapter where `--enable-unsafe-webgpu` alone got none (bench/WEBGPU.md). Only where a
// GPU device exists: elsewhere they cost a few GPU-process restarts at start for nothing.
const LINUX_GPU_FLAGS = [
  '--ignore-gpu-blocklist', '--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan', '--use-angle=vulkan',
  '--disable-vulkan-surface',
];

function linuxGpuPresent(): boolean {
  if (process.platform !== 'linux') return false;
  if (existsSync('/dev/nvidia0')) return true;
  try {
    return readdirSync('/dev/dri').some((name) => name.startsWith('renderD'));
  } catch {
    return false;
  }
}

/** A page that replaces itself with `url` (left out of the history: a reload reloads the page itself). */
function writeStartFile(path: string, url: string): void {
  const target = JSON.stringify(url).replace(/</g, '\\u003c');
  writeFileSync(path, `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><script>location.replace(${target})</script>\n`,
    { mode: 0o600 });
}

export interface HostedPage {
  /** Which of the bridge's headless pages this is (`headless-2`): the label its pairing codes carry. */
  readonly label: string;
  /** Chromium's process id (changes when it is restarted). */
  readonly pid: number | undefined;
  /** Starts Chromium afresh (the page crashed or stopped answering). */
  restart(why: string): void;
  close(): Promise<void>;
}

/** `[…:INFO:CONSOLE:12] "message", source: http://… (12)` → `message` */
const CONSOLE_LINE = /:CONSOLE(?::\d+|\(\d+\))\] "(.*)", source: /;

/**
 * `pageUrl` is called at each start of Chromium: a fresh address (a fresh one-time code) each time.
 * `label` names it in the log. Each hosted page is a Chromium of its own, with its own profile: one that
 * crashes or runs out of memory takes no other page with it (docs/scale.md).
 */
export async function hostPage(pageUrl: () => string, executablePath: string, log: Log, label = 'headless-1'): Promise<HostedPage> {
  // mkdtemp makes it 0700: the start file inside is this user's alone.
  const profile = mkdtempSync(join(tmpdir(), 'pagebridge-chromium-'));
  const startFile = join(profile, 'start.html');
  let child: ChildProcess | undefined;
  let closing = false;
  let quickExits = 0;
  let retry: NodeJS.Timeout | undefined;

  const launch = (): Promise<void> => new Promise((resolve, reject) => {
    const started = Date.now();
    const tail: string[] = [];
    const flags = linuxGpuPresent() ? [...FLAGS, ...LINUX_GPU_FLAGS] : FLAGS;
    writeStartFile(startFile, pageUrl());
    const c = spawn(executablePath, [...flags, `--user-data-dir=${profile}`, pathToFileURL(startFile).href], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let buffered = '';
    c.stderr!.setEncoding('utf8').on('data', (text: string) => {
      buffered += text;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const m = CONSOLE_LINE.exec(line);
        if (m) {
          const message = m[1]!;
          if (/^Uncaught|error|fail/i.test(message)) log.warn(`${label}: ${message}`);
          else log.info(`${label}: ${message}`);
        } else if (line.trim()) {
          tail.push(line);
          if (tail.length > 20) tail.shift();
        }
      }
    });
    c.once('spawn', () => resolve());
    c.once('error', (err) => reject(new Error(`--headless: could not start Chromium at ${executablePath} (--browser): ${err.message}`)));
    c.once('exit', (code, signal) => {
      if (closing || child !== c) return;
      const lived = Date.now() - started;
      quickExits = lived < 10_000 ? quickExits + 1 : 0;
      const last = tail.filter((l) => !/dbus|bluez|Floss|vaapi|sandbox_linux/.test(l)).slice(-3).join(' | ');
      if (quickExits >= 5) {
        log.warn(`${label}: Chromium keeps exiting (code ${code ?? signal}); giving up on --headless. Last output: ${last || 'none'}`);
        return;
      }
      const wait = Math.min(1000 * 2 ** quickExits, 30_000);
      log.warn(`${label}: Chromium exited (code ${code ?? signal}); starting it again in ${wait / 1000} s. ${last ? `Last output: ${last}` : ''}`);
      retry = setTimeout(() => launch().catch((err: Error) => log.warn(err.message)), wait);
    });
  });

  await launch();
  return {
    label,
    get pid() { return child?.pid; },
    restart(why: string) {
      if (closing || !child) return;
      log.warn(`${label}: ${why}; restarting its headless Chromium`);
      child.kill('SIGKILL'); // its exit handler starts a new one
    },
    async close() {
      closing = true;
      clearTimeout(retry);
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        const force = setTimeout(() => c.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(force);
      }
      // Its helper processes may still be writing the profile for a moment after the browser exits.
      try { rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }); } catch (err) {
        log.warn(`${label}: could not remove Chromium's profile ${profile}: ${(err as Error).message}`);
      }
    },
  };
}
