#!/usr/bin/env node
// `npm start` / `pagebridge`: parses the command line (README, "Command line") and runs the bridge.
import { Command, InvalidArgumentError, Option } from 'commander';
import open from 'open';
import { startBridge } from './bridge.ts';
import { consoleLog } from './log.ts';
import { defaults } from './options.ts';
import { isLoopbackName } from './access.ts';

const port = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${flag} must be a port number 0-65535 (0 picks a free one)`);
  return n;
};
const positive = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError(`${flag} must be a positive number`);
  return n;
};
const hasDesktop = () => process.platform !== 'linux' || !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

const program = new Command('pagebridge')
  .description('Serve the models of a web page (onnxruntime-web, WebGPU or WASM) to creative tools on localhost.')
  .addOption(new Option('--host <address>', 'interface for every listener').default(defaults.host))
  .addOption(new Option('--http-port <port>', 'page, Runway HTTP API, /runtime relay, Socket.IO').default(defaults.httpPort).argParser(port('--http-port')))
  .addOption(new Option('--socketio-port <port>', 'Socket.IO on its own port').default(defaults.socketioPort).argParser(port('--socketio-port')))
  .addOption(new Option('--osc-port <port>', 'OSC over UDP').default(defaults.oscPort).argParser(port('--osc-port')))
  .addOption(new Option('--labgraph-port <port>', 'LabGraph WebSocket API').default(defaults.labgraphPort).argParser(port('--labgraph-port')))
  .addOption(new Option('--tcp-port <port>', 'length-prefixed TCP').default(defaults.tcpPort).argParser(port('--tcp-port')))
  .addOption(new Option('--runtime-port <port>', 'runtime WebSocket (action messages)').default(defaults.runtimePort).argParser(port('--runtime-port')))
  .addOption(new Option('--model <id>', 'the model the single-model endpoints serve (default: the first model)'))
  .addOption(new Option('--headless', 'host the page in a headless Chromium (the default when there is no desktop)'))
  .addOption(new Option('--no-headless', 'never launch a headless page; wait for a browser to open the page'))
  .addOption(new Option('--browser <path>', 'Chromium for --headless').default(defaults.browser))
  .addOption(new Option('--open', "open the page in the desktop's browser").default(false))
  .addOption(new Option('--allow-origin <origin...>', 'browser origins allowed besides localhost (e.g. https://editor.p5js.org)').default([]))
  .addOption(new Option('--timeout <seconds>', 'how long a query may take').default(defaults.timeout).argParser(positive('--timeout')))
  .addOption(new Option('--max-queue <n>', 'queries that may wait on one model').default(defaults.maxQueue).argParser(positive('--max-queue')))
  .addOption(new Option('--max-client-queue <n>', 'queries one client may have waiting').default(defaults.maxClientQueue).argParser(positive('--max-client-queue')))
  .addOption(new Option('--no-latest-wins', 'answer every live frame (Socket.IO, OSC, LabGraph) in turn instead of dropping stale ones while the model is busy'))
  .addOption(new Option('--max-body <bytes>', 'largest request body, frame or message').default(defaults.maxBody).argParser(positive('--max-body')))
  .addOption(new Option('--data-dir <dir>', 'runtime WebSocket: the folder run_model may read data files from (is_data: false)').default(defaults.dataDir))
  .addOption(new Option('--program-timeout <seconds>', 'runtime WebSocket: wall-clock limit of one program').default(defaults.programTimeout).argParser(positive('--program-timeout')))
  .addOption(new Option('--max-programs <n>', 'runtime WebSocket: programs that may run at once on one page').default(defaults.maxPrograms).argParser(positive('--max-programs')))
  .addOption(new Option('--static-dir <dir>', 'the built page to serve').default(defaults.staticDir))
  .addOption(new Option('--token <token>', 'pairing token for the page (default: random)'))
  .addOption(new Option('--quiet', 'log only warnings').default(false))
  .showHelpAfterError();

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
