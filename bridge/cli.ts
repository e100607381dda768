#!/usr/bin/env node
// `npm start` / `pagebridge`: parses the command line (README, "Command line") and runs the bridge.
import { Command, InvalidArgumentError, Option } from 'commander';
import open from 'open';
import { startBridge } from './bridge.ts';
import { consoleLog } from './log.ts';
import { checkOption, defaults, OPTION_SPECS } from './options.ts';
import { isLoopbackName } from './access.ts';

const hasDesktop = () => process.platform !== 'linux' || !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

const program = new Command('pagebridge')
  .description('Serve the models of a web page (onnxruntime-web, WebGPU or WASM) to creative tools on localhost.')
  .showHelpAfterError();
for (const spec of OPTION_SPECS) {
  const option = new Option(spec.flag, spec.help);
  const fallback = defaults[spec.key];
  if (fallback !== undefined) option.default(fallback);
  if (spec.kind === 'port' || spec.kind === 'port-or-off' || spec.kind === 'positive' || spec.kind === 'count') {
    option.argParser((value: string) => {
      try { return checkOption(spec, value); } catch (err) { throw new InvalidArgumentError((err as Error).message); }
    });
  }
  program.addOption(option);
  // The pair of --headless: its default depends on the desktop (below).
  if (spec.key === 'browser') {
    program.addOption(new Option('--headless', 'host the page in a headless Chromium (the default when there is no desktop)'));
    program.addOption(new Option('--no-headless', 'never launch a headless page; wait for a browser to open the page'));
  }
  if (spec.key === 'oscqueryPort') {
    program.addOption(new Option('--no-mdns', 'do not advertise OSCQuery and OSC over DNS-SD/mDNS (advertised on loopback alone unless --host is wider)'));
  }
  if (spec.key === 'maxClientQueue') {
    program.addOption(new Option('--no-latest-wins', 'answer every live frame (Socket.IO, OSC, LabGraph) in turn instead of dropping stale ones while the model is busy'));
  }
}

// Refused rather than taken: a command line is readable by every local user (`ps`), and whoever has the
// token can pose as the page and receive every client's queries (docs/security.md, "Pairing").
program.addOption(new Option('--token <token>').hideHelp());

program.parse();
const opts = program.opts();
const log = consoleLog(opts.quiet);
if (opts.token !== undefined) {
  console.error('pagebridge: --token is refused: every local user can read a command line (ps). Set PAGEBRIDGE_TOKEN, or use --token-file <path> (mode 0600)');
  process.exit(1);
}
const envToken = process.env.PAGEBRIDGE_TOKEN;
if (envToken !== undefined && envToken.length < 16) {
  console.error('pagebridge: PAGEBRIDGE_TOKEN must be at least 16 characters');
  process.exit(1);
}
if (envToken !== undefined && opts.tokenFile !== undefined) {
  console.error('pagebridge: give the pairing token by PAGEBRIDGE_TOKEN or by --token-file, not both');
  process.exit(1);
}

// Headless by default where no browser can be opened; --headless / --no-headless decide otherwise.
const headless: boolean = opts.headless ?? (!opts.open && !hasDesktop());
if (!isLoopbackName(opts.host)) {
  log.warn(`--host ${opts.host}: every listener is reachable from other machines; anyone who can reach it can run your models`);
}

try {
  const bridge = await startBridge({ ...opts, headless, ...(envToken !== undefined && { token: envToken }) }, log);
  // Before anything is printed: whoever reads the banner may stop the bridge at once.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    await bridge.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  const line = (name: string, value: string) => console.log(`  ${name.padEnd(10)} ${value}`);
  console.log(`pagebridge is running (default model: ${bridge.core.defaultModel ?? 'none yet'})`);
  // The terminal is the user's own: the link with the long-lived token, to open in any browser.
  line('page', bridge.pageUrl);
  // --host wider than loopback: the link for a page on another machine (it holds the token: pass it on
  // as you would a password). Opened there, that page joins this bridge as one more page.
  for (const url of bridge.networkPageUrls) line('page (LAN)', url);
  if (bridge.networkPageUrls.length) {
    console.log('  open a LAN link on another machine to add its page; over plain http that page runs WASM without threads or WebGPU (docs/scale.md)');
  } else if (!isLoopbackName(opts.host)) console.log(`  no network address found for --host ${opts.host}: open http://<this machine's address>:<http port>/#token=… on the other machine`);
  line('http', `${bridge.httpUrl}/query  ${bridge.httpUrl}/models  ${bridge.httpUrl}/health`);
  for (const [name, url] of Object.entries(bridge.listeners)) if (name !== 'http') line(name, url);
  if (headless) console.log(bridge.hostedPages.length > 1 ? `  ${bridge.hostedPages.length} pages run in headless Chromiums` : '  the page runs in a headless Chromium');
  // xdg-open's command line, and the browser's if it starts one, show in `ps`: a one-time code there.
  else if (opts.open) await open(bridge.pairingUrl());
  else console.log('  open the page link above in a browser (WebGPU: Chrome or Edge) to load the models');
} catch (err) {
  console.error(`pagebridge: ${(err as Error).message}`);
  process.exit(1);
}
