// The program host: the document of the frame that runtime programs run in (web/program-host.html).
// The page (frames.ts) embeds it from another site (127.0.0.1 ⇄ localhost), so that site isolation
// gives it a renderer process of its own: a program that exhausts memory takes down this frame, not
// the page and its models. It holds the program runner (runner.ts) and nothing else: it knows no
// token, and its Content-Security-Policy (bridge/protocols/http/page-files.ts) allows it no network.
// Generic: it hosts program workers; which language a worker runs is the runner's business.
import * as Comlink from 'comlink';
import type { ErrorCode } from '../contract/index.ts';
import { HOST_HELLO, type ProgramHostApi } from './messages.ts';
import { ProgramRunner } from './runner.ts';

let runner: ProgramRunner | undefined;
const api: ProgramHostApi = {
  start(page) {
    runner ??= new ProgramRunner(page);
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

// The port comes from the embedding page only, once.
let connected = false;
addEventListener('message', (ev: MessageEvent) => {
  if (connected || ev.source !== parent || parent === window || ev.data !== HOST_HELLO || !ev.ports[0]) return;
  connected = true;
  Comlink.expose(api, ev.ports[0]);
});
