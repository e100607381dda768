// The program host: the frames that runtime programs live in (web/program-host.html), in two roles.
//
// - The host (`program-host.html`): the page (frames.ts) embeds it from another site (127.0.0.1 ⇄
//   localhost). It holds the program runner (runner.ts; each session: session.ts): sessions, logs,
//   placeholders, statistics.
// - The workers (`program-host.html?workers`): the host embeds it from yet another site
//   (`workers.localhost`), so that site isolation gives it a renderer process of its own, and it runs
//   the program workers (program-worker.ts). A program that exhausts memory crashes this process only:
//   the host notices by its heartbeat (frame-link.ts), fails the programs that were running, keeps
//   every session's status, log and placeholders, and starts a fresh workers' frame for the next one.
//
// Neither knows a token, and their Content-Security-Policy (bridge/protocols/http/page-files.ts) allows
// them no network. Generic: they host program workers; which language a worker runs is the worker's
// business, except that Python workers are kept warm (python/pool.ts) here, where they run.
import * as Comlink from 'comlink';
import type { ErrorCode } from '../contract/index.ts';
import {
  HOST_HELLO, WORKERS_HELLO, type ProgramHostApi, type ToProgram, type WorkerFailure, type WorkerHostApi, type WorkersHostSide,
} from './messages.ts';
import { ProgramRunner, type ProgramHost, type ProgramWorker, type SpawnWorker } from './runner.ts';
import { FrameLink, workersUrl } from './frame-link.ts';
import { PythonPool } from './python/pool.ts';
import { SIGINT } from './python/messages.ts';

const WORKERS_CRASHED = 'the program host crashed, most likely out of memory (a program used more memory than the browser ' +
  'allows one process), or stopped answering; every program running in it was stopped';

/** Program workers in the workers' frame, which is made again after it dies. */
class RemoteWorkers {
  private link: FrameLink<WorkerHostApi> | undefined;
  private nextId = 1;

  constructor(private readonly lost: (why: string) => void, private readonly page: () => ProgramHost | undefined) {}

  readonly spawn: SpawnWorker = (name, events, language) => {
    const link = this.current();
    const id = this.nextId++;
    const channel = new MessageChannel();
    channel.port1.onmessage = (ev: MessageEvent) => {
      const failure = (ev.data as Partial<WorkerFailure> | null)?.workerFailed;
      if (failure !== undefined) events.error(String(failure));
      else events.message(ev.data);
    };
    void link.call((remote) => remote.spawn(id, name, Comlink.transfer(channel.port2, [channel.port2]), language)).catch((err: Error) => events.error(err.message));
    const worker: ProgramWorker = {
      postMessage: (message, transfer = []) => channel.port1.postMessage(message, transfer),
      interrupt: () => (link.dead ? Promise.resolve(false) : link.call((remote) => remote.interrupt(id))),
      terminate: () => {
        channel.port1.close();
        if (!link.dead) void link.call((remote) => remote.terminate(id)).catch(() => {});
      },
    };
    return worker;
  };

  private current(): FrameLink<WorkerHostApi> {
    if (this.link && !this.link.dead) return this.link;
    this.link = new FrameLink<WorkerHostApi>(workersUrl(location.href), {
      title: 'program workers', hello: WORKERS_HELLO, silence: WORKERS_CRASHED,
      start: (remote) => remote.start(Comlink.proxy({
        pyodideFiles: async () => {
          const page = this.page();
          if (!page) throw new Error('the program host was not started');
          const files = await page.pyodideFiles();
          return Comlink.transfer(files, [files.wasm, files.stdlib]);
        },
      } satisfies WorkersHostSide)),
      died: (why) => this.lost(why),
    });
    return this.link;
  }
}

function hostRole(): ProgramHostApi {
  let runner: ProgramRunner | undefined;
  let pageSide: ProgramHost | undefined;
  const workers = new RemoteWorkers((why) => runner?.workersLost(why), () => pageSide);
  return {
    start(page) {
      pageSide ??= page;
      runner ??= new ProgramRunner(page, workers.spawn);
    },
    async call(kind, payload) {
      if (!runner) return { error: { code: 'unavailable', name: 'Error', message: 'the program host was not started' } };
      try {
        return { value: await runner.call(kind, payload) };
      } catch (err) {
        const e = err as Error & { code?: ErrorCode };
        return { error: { code: e.code, name: e.name, message: e.message } };
      }
    },
    ping: () => true,
  };
}

function workersRole(): WorkerHostApi {
  const workers = new Map<number, { worker: Worker; port: MessagePort; interrupt?: Int32Array }>();
  let host: WorkersHostSide | undefined;
  const python = new PythonPool(() => host ? host.pyodideFiles() : Promise.reject(new Error('the program workers\' frame was not started')));
  return {
    start(side) {
      host ??= side;
    },
    spawn(id, name, port, language) {
      // A Python worker comes from the pool, with Pyodide loaded or loading.
      const { worker, interrupt } = language === 'python'
        ? python.take()
        : { worker: new Worker(new URL('./program-worker.ts', import.meta.url), { type: 'module', name }), interrupt: undefined };
      workers.set(id, { worker, port, interrupt });
      worker.onmessage = (ev) => port.postMessage(ev.data);
      worker.onerror = (ev) => {
        ev.preventDefault();
        port.postMessage({ workerFailed: ev.message || 'it could not be started' } satisfies WorkerFailure);
      };
      port.onmessage = (ev: MessageEvent<ToProgram>) => {
        // onnxruntime's WebAssembly is handed on, not copied (session.ts hands it over to here).
        const wasm = ev.data?.type === 'reply' ? (ev.data.value as { wasm?: unknown } | undefined)?.wasm : undefined;
        worker.postMessage(ev.data, wasm instanceof ArrayBuffer ? [wasm] : []);
      };
    },
    interrupt(id) {
      const interrupt = workers.get(id)?.interrupt;
      if (!interrupt) return false;
      Atomics.store(interrupt, 0, SIGINT);
      return true;
    },
    terminate(id) {
      const w = workers.get(id);
      workers.delete(id);
      w?.worker.terminate();
      w?.port.close();
    },
    ping: () => true,
  };
}

// The port comes from the embedding document only, once.
const workersFrame = new URLSearchParams(location.search).has('workers');
let connected = false;
addEventListener('message', (ev: MessageEvent) => {
  if (connected || ev.source !== parent || parent === window || ev.data !== (workersFrame ? WORKERS_HELLO : HOST_HELLO) || !ev.ports[0]) return;
  connected = true;
  Comlink.expose(workersFrame ? workersRole() : hostRole(), ev.ports[0]);
});
