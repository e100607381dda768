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

program.parse();
const opts = program.opts();
const log = consoleLog(opts.quiet);

// Headless by default where no browser can be opened; --headless / --no-headless decide otherwise.
const headless: boolean = opts.headless ?? (!opts.open && !hasDesktop());
if (!isLoopbackName(opts.host)) {
  log.warn(`--host ${opts.host}: every listener is reachable from other machines; anyone who can reach it can run your models`);
}

try {
  const bridge = await startBridge({ ...opts, headless }, log);
  const line = (name: string, value: string) => console.log(`  ${name.padEnd(10)} ${value}`);
  console.log(`pagebridge is running (default model: ${bridge.core.defaultModel ?? 'none yet'})`);
  line('page', bridge.pageUrl);
  line('http', `${bridge.httpUrl}/query  ${bridge.httpUrl}/models  ${bridge.httpUrl}/health`);
  for (const [name, url] of Object.entries(bridge.listeners)) if (name !== 'http') line(name, url);
  if (headless) console.log('  the page runs in a headless Chromium');
  else if (opts.open) await open(bridge.pageUrl);
  else console.log('  open the page link above in a browser (WebGPU: Chrome or Edge) to load the models');

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
} catch (err) {
  console.error(`pagebridge: ${(err as Error).message}`);
  process.exit(1);
}
