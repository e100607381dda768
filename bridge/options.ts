/** Everything the bridge can be told, with its defaults (the README's command-line table). */
export interface BridgeOptions {
  host: string;
  httpPort: number;
  socketioPort: number;
  oscPort: number;
  labgraphPort: number;
  tcpPort: number;
  runtimePort: number;
  /** The model the single-model addresses serve (default: the first model). */
  model?: string;
  headless: boolean;
  browser: string;
  open: boolean;
  allowOrigin: string[];
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
  /** Where the runtime WebSocket's `run_model` reads `is_data: false` paths from; nothing outside it. */
  dataDir: string;
  /** Seconds a runtime program may run before it is stopped and marked failed. */
  programTimeout: number;
  /** Runtime programs that may run at once on one page; more get "busy". */
  maxPrograms: number;
  /** The built page and its models (vite's output). */
  staticDir: string;
  /** Pairing token the page must present on the relay (random when not given). */
  token?: string;
  quiet: boolean;
}

export const defaults: BridgeOptions = {
  host: '127.0.0.1',
  httpPort: 8000,
  socketioPort: 3000,
  oscPort: 57100,
  labgraphPort: 9000,
  tcpPort: 6000,
  runtimePort: 8765,
  headless: false,
  browser: '/usr/bin/chromium',
  open: false,
  allowOrigin: [],
  timeout: 30,
  maxQueue: 64,
  maxClientQueue: 16,
  latestWins: true,
  maxBody: 16 * 1024 * 1024,
  // Relative to the directory the bridge is started from, resolved when it starts.
  dataDir: 'data',
  programTimeout: 300,
  maxPrograms: 4,
  staticDir: new URL('../dist', import.meta.url).pathname,
  quiet: false,
};
