// The runtime WebSocket (docs/runtime.md; Simple-ML's runtime server messages):
// JSON messages with an `action`, each answered to the asking client only. Programs run in the page:
// every action becomes a `program.*` call to the page that runs the session (core.callPage), or a
// model query (core.query). Sessions (which page runs which, who asked) are sessions.ts; the
// actions' schemas and tags are schemas.ts.
import { resolve } from 'node:path';
import type { RawData, WebSocket } from 'ws';
import { listenWebSocket } from '../websocket-listener.ts';
import { ACTIONS, TYPE, schemaMessage, validators, type Action } from './schemas.ts';
import { normalizeFilename, type CallPayload, type CallResult, type PageCall, type Values } from '../../../web/contract/index.ts';
import type { PageEvent } from '../../core/core.ts';
import { BridgeError, toBridgeError } from '../../core/errors.ts';
import { toJson } from '../../core/values.ts';
import { readDataFile, readDataTree } from '../../data-dir.ts';
import { connectionOptions, type ConnectionOptions, type Listener, type ListenerContext, type ListenerModule } from '../../listener-module.ts';
import { Sessions, type Session } from './sessions.ts';

export interface RuntimeOptions extends ConnectionOptions {
  /** Where `run_model` reads `is_data: false` paths from, absolute (--data-dir). */
  dataDir: string;
  /** What each page is told to hold its programs to (--max-programs, --program-timeout). */
  limits: { maxPrograms: number; timeoutMs: number };
}

export const runtimeListener: ListenerModule<RuntimeOptions> = {
  name: 'runtime',
  portFlag: '--runtime-port',
  ownOptions: (o) => ({
    ...connectionOptions(o, o.runtimePort),
    dataDir: resolve(o.dataDir), limits: { maxPrograms: o.maxPrograms, timeoutMs: o.programTimeout * 1000 },
  }),
  start: startRuntime,
};

async function startRuntime(context: ListenerContext, own: RuntimeOptions): Promise<Listener> {
  const { core, log } = context;
  const { dataDir, limits } = own;
  const send = (ws: WebSocket | undefined, body: Values): void => {
    if (ws && ws.readyState === ws.OPEN) ws.send(JSON.stringify(body));
  };
  const sessions = new Sessions(send);

  /**
   * Each connection as a client of the core: its name, for the per-client queue cap (--max-client-queue),
   * and a signal aborted when it closes, so that its `run_model` queries still waiting or with the page are dropped.
   */
  const clients = new WeakMap<WebSocket, { id: string; gone: AbortSignal }>();
  let clientSerial = 0;

  function onClient(ws: WebSocket): void {
    const gone = new AbortController();
    clients.set(ws, { id: `connection-${++clientSerial}`, gone: gone.signal });
    core.clientChange('runtime', 1);
    ws.on('message', (data: RawData) => void onMessage(ws, data));
    ws.on('error', (err) => log.warn(`runtime: ${err.message}`));
    ws.on('close', () => {
      gone.abort();
      core.clientChange('runtime', -1);
      sessions.clientGone(ws);
    });
  }

  async function onMessage(ws: WebSocket, data: RawData): Promise<void> {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    let action: unknown = null;
    let id: unknown;
    const respond = (body: Values) => send(ws, { action, ...(id !== undefined ? { id } : {}), ...body });
    try {
      if (bytes.byteLength > own.maxBytes) {
        throw new BridgeError('too_large', `the message is ${bytes.byteLength} bytes, over the limit of ${own.maxBytes} bytes (--max-body)`);
      }
      let msg: unknown;
      try {
        msg = JSON.parse(bytes.toString('utf8'));
      } catch (err) {
        throw new BridgeError('bad_request', `the message is not JSON (${(err as Error).message}): send a JSON object with an "action"`);
      }
      if (!msg || typeof msg !== 'object' || Array.isArray(msg)) throw new BridgeError('bad_request', 'the message must be a JSON object with an "action"');
      const m = msg as Values;
      if (typeof m.id === 'string' || typeof m.id === 'number') id = m.id;
      action = typeof m.action === 'string' ? m.action : null;
      if (m.action === undefined) throw new BridgeError('bad_request', `missing attribute "action" (one of ${ACTIONS.join(', ')})`);
      if (!ACTIONS.includes(m.action as Action)) {
        throw new BridgeError('bad_request', `unknown action ${JSON.stringify(m.action)} (actions: ${ACTIONS.join(', ')})`);
      }
      const name = m.action as Action;
      if (name === 'run' && (m.javascript === undefined) === (m.python === undefined)) {
        throw new BridgeError('bad_request', m.javascript === undefined
          ? 'run: missing attribute "python" or "javascript" (the program: {"number", "files", "mainfile"})'
          : 'run: give one program, "python" or "javascript", not both');
      }
      if (!validators[name](m)) throw new BridgeError('bad_request', `${name}: ${schemaMessage(validators[name].errors)}`);
      const reply = await handlers[name](m, ws, respond);
      if (reply) respond(reply);
    } catch (err) {
      const e = toBridgeError(err);
      respond({ error: e.message, code: e.code });
    }
  }

  // ── actions ────────────────────────────────────────────────────────────────────────────────
  /** Calls the page that runs session `s`. */
  async function callSession<K extends PageCall>(s: Session, kind: K, payload: Omit<CallPayload<K>, 'sessionId'>): Promise<CallResult<K>> {
    if (s.lost) throw new BridgeError('unavailable', `the page that ran session ${s.id} went away (${s.lost}): its placeholders and models are gone`);
    try {
      return (await core.callPage(kind, { sessionId: s.pageId, ...payload } as CallPayload<K>, { source: 'runtime', page: s.page })).result;
    } catch (err) {
      throw sessions.inClientTerms(s, err);
    }
  }

  const handlers: Record<Action, (m: Values, ws: WebSocket, respond: (body: Values) => void) => Promise<Values | undefined>> = {
    async run(m, ws, respond) {
      const language = m.python !== undefined ? 'python' : 'javascript';
      const js = m[language] as { number?: number; files: { filename: string; content: string }[]; mainfile: string };
      if (js.number !== undefined && js.number !== js.files.length) {
        throw new BridgeError('bad_request', `run: "${language}.number" is ${js.number} but "${language}.files" holds ${js.files.length} files`);
      }
      if (!js.files.some((f) => normalizeFilename(f.filename) === normalizeFilename(js.mainfile))) {
        throw new BridgeError('bad_request', `run: the mainfile "${js.mainfile}" is not among the files (${js.files.map((f) => f.filename).join(', ')})`);
      }
      const s = sessions.open(ws, typeof m.id === 'string' || typeof m.id === 'number' ? m.id : undefined);
      const id = s.id;
      try {
        const files = js.files.map((f) => ({ filename: f.filename, content: f.content }));
        // A Python program reads --data-dir's files itself (under /data): they go with it.
        const data = language === 'python' ? await readDataTree(dataDir, own.maxBytes, (why) => log.warn(`runtime: session ${id}: ${why}`)) : undefined;
        const { page } = await core.callPage('program.run', { sessionId: s.pageId, files, mainfile: js.mainfile, limits, language, ...(data ? { data } : {}) },
          { source: 'runtime' });
        s.page ||= page;
      } catch (err) {
        sessions.forget(s);
        throw err;
      }
      log.info(`runtime: session ${id} (${language}, ${js.files.length} file${js.files.length === 1 ? '' : 's'}) runs on ${s.page}`);
      respond({ type: TYPE.started, sessionId: id, status: 'running', message: 'Execution started' });
      sessions.replied(s);
      return undefined;
    },

    async status(m) {
      const s = sessions.get(m.sessionId);
      if (s.lost) {
        return { ...(s.final ?? { sessionId: s.id, status: 'failed', error: { name: 'Error', message: `the page running the program went away (${s.lost})` } }), pageGone: s.lost };
      }
      return { ...(await callSession(s, 'program.status', {})), sessionId: s.id };
    },

    async get_placeholder(m) {
      const ref = m.placeholder as { sessionId: unknown; name: string };
      const s = sessions.get(ref.sessionId);
      const { value } = await callSession(s, 'program.placeholder', { name: ref.name });
      return { type: TYPE.value, sessionId: s.id, name: ref.name, value };
    },

    async get_stats(m) {
      const ref = m.placeholder as { sessionId: unknown; name: string };
      const s = sessions.get(ref.sessionId);
      const stats = await callSession(s, 'program.stats', { name: ref.name });
      return { type: TYPE.stats, sessionId: s.id, name: ref.name, ...stats };
    },

    async run_model(m, ws) {
      const model = m.model as { sessionId?: unknown; name: string; is_data?: boolean; data: unknown };
      const file = model.is_data === false ? await readDataFile(dataDir, model.data, own.maxBytes) : undefined;
      if (model.sessionId !== undefined) {
        const s = sessions.get(model.sessionId);
        const { output } = await callSession(s, 'program.predict', { name: model.name, data: file ? file.value : model.data });
        return { sessionId: s.id, name: model.name, output };
      }
      let inputs = model.data;
      if (file?.kind === 'image') {
        const port = core.model(model.name).info.inputs.find((p) => p.type === 'image');
        if (!port) throw new BridgeError('bad_request', `run_model: "${model.name}" takes no image input; give a .json file of its inputs`);
        inputs = { [port.name]: file.value };
      } else if (file) {
        if (file.kind !== 'json') throw new BridgeError('bad_request', `run_model: a page model takes an object of inputs: give a .json file or an image, not a ${file.kind} file`);
        inputs = file.value;
      }
      const outputs = await core.query(model.name, inputs, { source: 'runtime', client: clients.get(ws)?.id, signal: clients.get(ws)?.gone });
      return { name: model.name, output: toJson(outputs) };
    },

    async stop(m) {
      const s = sessions.get(m.sessionId);
      if (s.lost) throw new BridgeError('unavailable', `the page that ran session ${s.id} went away (${s.lost}): nothing runs there any more`);
      const report = await callSession(s, 'program.stop', {});
      return { sessionId: s.id, status: report.status, endedAt: report.endedAt };
    },
  };

  // ── what pages report ─────────────────────────────────────────────────────────────────────
  const onPageEvent = ({ page, kind, payload }: PageEvent) => {
    if (kind === 'program.ended') sessions.ended(page, payload);
  };
  const onPageRemoved = ({ page, why }: { page: string; why: string }) => sessions.pageGone(page, why);

  // Bigger messages than maxBytes get an error reply; only those past twice that close the socket.
  // A browser page from a foreign origin may neither run programs nor read what others ran, nor have
  // data files read: --allow-origin is not enough (--allow-program-origin).
  const listener = await listenWebSocket(context, own, 'runtime', 'connect with a WebSocket client and send JSON messages with an "action"',
    own.maxBytes * 2, onClient, true);
  core.on('pageEvent', onPageEvent);
  core.on('pageRemoved', onPageRemoved);
  log.info(`runtime: run_model reads data files from ${dataDir} (--data-dir)`);
  return {
    url: listener.url,
    async close() {
      core.off('pageEvent', onPageEvent);
      core.off('pageRemoved', onPageRemoved);
      await listener.close();
    },
  };
}
