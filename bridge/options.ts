import { DEFAULT_MEDIA_LIMITS } from '../web/contract/index.ts';

/** Everything the bridge can be told, with its defaults (the README's command-line table). */
export interface BridgeOptions {
  host: string;
  httpPort: number;
  socketioPort: number;
  oscPort: number;
  /**
   * Runway's OSC reply port: a `/server/connect` without a port reaches it besides the source port
   * (Runway's Processing examples listen on 57200 and send from another socket). 0: only the source port.
   */
  oscReplyPort: number;
  /** Seconds an OSC registration lives without a datagram from its host. */
  oscClientTtl: number;
  /** OSC clients that do not say otherwise get numbers instead of Runway's JSON. */
  oscNumeric: boolean;
  /** OSCQuery: the OSC namespace as JSON over HTTP (bridge/protocols/oscquery/). */
  oscqueryPort: number;
  labgraphPort: number;
  tcpPort: number;
  runtimePort: number;
  /**
   * Advertise OSCQuery (`_oscjson._tcp`) and OSC (`_osc._udp`) over DNS-SD/mDNS: on the loopback interface
   * alone while --host is a loopback address, on the LAN when it is wider.
   */
  mdns: boolean;
  /** The model the single-model addresses serve (default: the first model). */
  model?: string;
  headless: boolean;
  /** Headless pages to host with --headless, each in a Chromium of its own (docs/scale.md). */
  pages: number;
  browser: string;
  open: boolean;
  /** Browser origins that may query models and read their outputs (HTTP, Socket.IO, LabGraph, OSCQuery). */
  allowOrigin: string[];
  /** Browser origins that may also run programs and read data files (the runtime WebSocket). */
  allowProgramOrigin: string[];
  /** Seconds a query may take before it fails with a timeout. */
  timeout: number;
  /** Queries that may wait on one model at once. */
  maxQueue: number;
  /** Queries one client (a connection, a socket, an OSC sender) may have waiting at once. */
  maxClientQueue: number;
  /**
   * Live input (Socket.IO `query`, OSC `/query`, LabGraph query samples) keeps only each client's newest
   * frame while the model is busy, dropping stale ones. False: every frame is queued and answered, under
   * --max-client-queue.
   */
  latestWins: boolean;
  /** Largest request body, relay frame or message, in bytes. */
  maxBody: number;
  /** Most pixels (width × height, as its header declares) an image input may have; checked before decoding. */
  maxPixels: number;
  /** Most seconds of audio (as a WAV header declares, or PCM samples at their rate) one input may hold. */
  maxAudioSeconds: number;
  /** Connections each listener holds at once (Socket.IO: Engine.IO clients per port); past it new ones are refused. */
  maxConnections: number;
  /**
   * Seconds a connection may send nothing before it is closed. Never cuts a live client: a request
   * being answered is not idle, and WebSocket and Socket.IO clients answer the bridge's pings.
   */
  idleTimeout: number;
  /** Where the runtime WebSocket's `run_model` reads `is_data: false` paths from; nothing outside it. */
  dataDir: string;
  /** Seconds a runtime program may run before it is stopped and marked failed. */
  programTimeout: number;
  /** Runtime programs that may run at once on one page; more get "busy". */
  maxPrograms: number;
  /** The built page and its models (vite's output). */
  staticDir: string;
  /**
   * The long-lived pairing token (random when not given). Only for startBridge(): on the command line it
   * would show in `ps`, so the CLI takes it from PAGEBRIDGE_TOKEN or --token-file (bridge/token.ts).
   */
  token?: string;
  /** A file (mode 0600) holding the token; created with a random one when missing. */
  tokenFile?: string;
  quiet: boolean;
}

export const defaults: BridgeOptions = {
  host: '127.0.0.1',
  httpPort: 8000,
  socketioPort: 3000,
  oscPort: 57100,
  oscReplyPort: 57200,
  // Long: re-runs are replaced and a disconnect finds its sketch through the reply port, so this only
  // clears tools gone without a word, while a sketch that only listens (Runway's Processing library
  // connects once, in setup) must not be cut off soon (docs/protocols.md, OSC).
  oscClientTtl: 3600,
  oscNumeric: false,
  // Where OSCQuery servers (libossia, and so ossia score) usually listen.
  oscqueryPort: 5678,
  labgraphPort: 9000,
  tcpPort: 6000,
  runtimePort: 8765,
  mdns: true,
  headless: false,
  pages: 1,
  browser: '/usr/bin/chromium',
  open: false,
  allowOrigin: [],
  allowProgramOrigin: [],
  timeout: 30,
  maxQueue: 64,
  maxClientQueue: 16,
  latestWins: true,
  maxBody: 16 * 1024 * 1024,
  maxPixels: DEFAULT_MEDIA_LIMITS.maxPixels,
  maxAudioSeconds: DEFAULT_MEDIA_LIMITS.maxAudioSeconds,
  // Far above what creative tools open (a browser holds 6 HTTP connections to a host; the load test
  // 50 clients in all), far below a process's descriptor limit across every listener.
  maxConnections: 256,
  // As Node's own limit on receiving a request: a TCP client between two queries keeps its connection
  // for minutes; WebSocket and Socket.IO clients are pinged well within it.
  idleTimeout: 300,
  // Relative to the directory the bridge is started from, resolved when it starts.
  dataDir: 'data',
  programTimeout: 300,
  maxPrograms: 4,
  staticDir: new URL('../dist', import.meta.url).pathname,
  quiet: false,
};

/** How an option's value is checked (and, on the command line, parsed). */
export type OptionKind = 'port' | 'port-or-off' | 'positive' | 'count' | 'text' | 'list' | 'switch';

export interface OptionSpec {
  key: keyof BridgeOptions;
  /** The command-line flag, with its argument: `--tcp-port <port>`. */
  flag: string;
  kind: OptionKind;
  help: string;
}

/**
 * The options with a flag of their own, in the order `--help` lists them: the command line is built
 * from this table and resolveOptions checks against it, so the two cannot drift. (`--headless` /
 * `--no-headless`, `--no-latest-wins` and `--no-mdns` are the CLI's own: see bridge/cli.ts.)
 */
export const OPTION_SPECS: readonly OptionSpec[] = [
  { key: 'host', flag: '--host <address>', kind: 'text', help: 'interface for every listener' },
  { key: 'httpPort', flag: '--http-port <port>', kind: 'port', help: 'page, Runway HTTP API, /runtime relay, Socket.IO' },
  { key: 'socketioPort', flag: '--socketio-port <port>', kind: 'port', help: 'Socket.IO on its own port' },
  { key: 'oscPort', flag: '--osc-port <port>', kind: 'port', help: 'OSC over UDP' },
  { key: 'oscReplyPort', flag: '--osc-reply-port <port>', kind: 'port-or-off', help: "OSC: a /server/connect without a port reaches this port too, as Runway's did (0: only the source port)" },
  { key: 'oscClientTtl', flag: '--osc-client-ttl <seconds>', kind: 'positive', help: 'OSC: a registration expires after this long without a datagram from its host' },
  { key: 'oscNumeric', flag: '--osc-numeric', kind: 'switch', help: "OSC: clients that do not say otherwise get numbers instead of Runway's JSON" },
  { key: 'oscqueryPort', flag: '--oscquery-port <port>', kind: 'port', help: 'OSCQuery: the OSC addresses as JSON over HTTP' },
  { key: 'labgraphPort', flag: '--labgraph-port <port>', kind: 'port', help: 'LabGraph WebSocket API' },
  { key: 'tcpPort', flag: '--tcp-port <port>', kind: 'port', help: 'length-prefixed TCP' },
  { key: 'runtimePort', flag: '--runtime-port <port>', kind: 'port', help: 'runtime WebSocket (action messages)' },
  { key: 'model', flag: '--model <id>', kind: 'text', help: 'the model the single-model endpoints serve (default: the first model)' },
  { key: 'browser', flag: '--browser <path>', kind: 'text', help: 'Chromium for --headless' },
  { key: 'pages', flag: '--pages <n>', kind: 'count', help: 'with --headless: host this many pages, each in a Chromium of its own; queries go to the least busy' },
  { key: 'open', flag: '--open', kind: 'switch', help: "open the page in the desktop's browser" },
  { key: 'allowOrigin', flag: '--allow-origin <origin...>', kind: 'list', help: 'browser origins allowed besides localhost to query models and read outputs (e.g. https://editor.p5js.org)' },
  { key: 'allowProgramOrigin', flag: '--allow-program-origin <origin...>', kind: 'list', help: 'browser origins allowed besides localhost to run programs and read data files (runtime WebSocket); they may query models too' },
  { key: 'timeout', flag: '--timeout <seconds>', kind: 'positive', help: 'how long a query may take' },
  { key: 'maxQueue', flag: '--max-queue <n>', kind: 'positive', help: 'queries that may wait on one model' },
  { key: 'maxClientQueue', flag: '--max-client-queue <n>', kind: 'positive', help: 'queries one client may have waiting' },
  { key: 'maxBody', flag: '--max-body <bytes>', kind: 'positive', help: 'largest request body, frame or message' },
  { key: 'maxPixels', flag: '--max-pixels <n>', kind: 'positive', help: 'most pixels an image input may declare (width × height), refused before decoding' },
  { key: 'maxAudioSeconds', flag: '--max-audio-seconds <seconds>', kind: 'positive', help: 'most seconds of audio one input may hold, refused before decoding' },
  { key: 'maxConnections', flag: '--max-connections <n>', kind: 'count', help: 'connections each listener holds at once (Socket.IO: clients per port); more are refused' },
  { key: 'idleTimeout', flag: '--idle-timeout <seconds>', kind: 'positive', help: 'a connection that sends nothing for this long is closed (one being answered is not idle)' },
  { key: 'dataDir', flag: '--data-dir <dir>', kind: 'text', help: 'runtime WebSocket: the folder run_model may read data files from (is_data: false)' },
  { key: 'programTimeout', flag: '--program-timeout <seconds>', kind: 'positive', help: 'runtime WebSocket: wall-clock limit of one program' },
  { key: 'maxPrograms', flag: '--max-programs <n>', kind: 'positive', help: 'runtime WebSocket: programs that may run at once on one page' },
  { key: 'staticDir', flag: '--static-dir <dir>', kind: 'text', help: 'the built page to serve' },
  { key: 'tokenFile', flag: '--token-file <path>', kind: 'text', help: 'read the pairing token from this file (mode 0600; created with a random token when missing); or set PAGEBRIDGE_TOKEN' },
  { key: 'quiet', flag: '--quiet', kind: 'switch', help: 'log only warnings' },
];

/** The flag's name alone: `--tcp-port <port>` → `--tcp-port`. */
export const flagName = (spec: OptionSpec): string => spec.flag.split(' ')[0]!;

/** A value for the option, as the kind wants it (numbers from text too), or an Error naming the flag. */
export function checkOption(spec: OptionSpec, value: unknown): unknown {
  const flag = flagName(spec);
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  switch (spec.kind) {
    case 'port':
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > 65535) {
        throw new Error(`${flag} must be a port number 0-65535 (0 picks a free one)`);
      }
      return number;
    case 'port-or-off':
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > 65535) {
        throw new Error(`${flag} must be a port number 0-65535 (0 turns it off)`);
      }
      return number;
    case 'positive':
      if (typeof number !== 'number' || !(number > 0) || !Number.isFinite(number)) throw new Error(`${flag} must be a positive number`);
      return number;
    case 'count':
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) throw new Error(`${flag} must be a whole number, 1 or more`);
      return number;
    case 'text':
      if (typeof value !== 'string' || value === '') throw new Error(`${flag} must be a non-empty string`);
      return value;
    case 'list':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) throw new Error(`${flag} must be a list of strings`);
      return value;
    case 'switch':
      if (typeof value !== 'boolean') throw new Error(`${flag} is on or off (true or false)`);
      return value;
  }
}

const SWITCHES_WITHOUT_FLAG: (keyof BridgeOptions)[] = ['headless', 'latestWins', 'mdns'];
/** Options with no flag of their own (the token: a command line is readable by every local user). */
const TEXT_WITHOUT_FLAG: (keyof BridgeOptions)[] = ['token'];

/**
 * The options the bridge runs with: `given` over the defaults, every value checked. The command line and
 * `startBridge()` both go through here; an unknown option or a bad value is an Error naming it.
 */
export function resolveOptions(given: Partial<BridgeOptions> = {}): BridgeOptions {
  const specs = new Map(OPTION_SPECS.map((s) => [s.key, s]));
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const spec = specs.get(key as keyof BridgeOptions);
    if (spec) out[key] = checkOption(spec, value);
    else if (SWITCHES_WITHOUT_FLAG.includes(key as keyof BridgeOptions)) {
      if (typeof value !== 'boolean') throw new Error(`option "${key}" is true or false`);
      out[key] = value;
    } else if (TEXT_WITHOUT_FLAG.includes(key as keyof BridgeOptions)) {
      if (typeof value !== 'string' || value === '') throw new Error(`option "${key}" is a non-empty string`);
      out[key] = value;
    } else throw new Error(`unknown option "${key}" (options: ${[...specs.keys(), ...SWITCHES_WITHOUT_FLAG, ...TEXT_WITHOUT_FLAG].join(', ')})`);
  }
  return out as unknown as BridgeOptions;
}
