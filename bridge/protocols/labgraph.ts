// LabGraph's WebSocket stream API: a session opens streams by name — `<model>/query` to send samples
// (each one queries the model), `<model>/data` and `<model>/error` to receive every output and failure
// of that model, whoever caused them — and each stream's batches are numbered from 0. Each query sample
// is a live frame: when samples come faster than the model answers, the core keeps only a session's
// newest (latest wins) and the dropped ones send nothing.
import type { RawData, WebSocket } from 'ws';
import { connectionOptions, type ConnectionOptions, type Listener, type ListenerContext, type ListenerModule } from '../listener-module.ts';
import type { FailureEvent, OutputEvent } from '../core/core.ts';
import { toBridgeError } from '../core/errors.ts';
import { toJson } from '../core/values.ts';
import { listenWebSocket } from './websocket-listener.ts';
import {
  LabGraphError, endStreamEvent, errorEvent, parseMessage, parseStreamName, sample, sampleInputs, startStreamEvent, streamBatch,
  type StreamKind,
} from './labgraph-messages.ts';

/** A session's sends waiting in the socket past this are dropped (a client that does not read). */
const MAX_BUFFERED = 8 * 1024 * 1024;

interface Stream { id: string; name: string; model: string; kind: StreamKind; batchNum: number }

interface Session {
  /** The session's name as a client of the core (live frames are kept per client and model). */
  id: string;
  ws: WebSocket;
  streams: Map<string, Stream>;
  dropped: number;
  /** Aborted when the session's socket closes: its samples still waiting or with the page are dropped. */
  gone: AbortController;
}

export const labGraphListener: ListenerModule<ConnectionOptions> = {
  name: 'labgraph',
  portFlag: '--labgraph-port',
  ownOptions: (o) => connectionOptions(o, o.labgraphPort),
  start: startLabGraph,
};

async function startLabGraph(context: ListenerContext, own: ConnectionOptions): Promise<Listener> {
  const { core, log } = context;
  const sessions = new Set<Session>();
  let sessionSerial = 0;

  const send = (s: Session, message: unknown) => {
    if (s.ws.readyState !== s.ws.OPEN) return;
    if (s.ws.bufferedAmount > MAX_BUFFERED) {
      if (s.dropped++ === 0) log.warn('labgraph: a client is not reading; dropping its batches until it catches up');
      return;
    }
    s.ws.send(JSON.stringify(message));
  };

  /** Every open output stream of `model` and `kind`, in every session, gets one batch. */
  const broadcast = (model: string, kind: StreamKind, data: unknown) => {
    const produced = Date.now();
    for (const s of sessions) {
      for (const st of s.streams.values()) {
        if (st.model === model && st.kind === kind) send(s, streamBatch(st.id, st.name, [sample(data, produced)], st.batchNum++));
      }
    }
  };
  const onOutput = (e: OutputEvent) => broadcast(e.model, 'data', toJson(e.outputs));
  const onFailure = (e: FailureEvent) => broadcast(e.model, 'error', { error: e.error.message });
  core.on('output', onOutput);
  core.on('failure', onFailure);

  function handle(s: Session, text: string): void {
    const msg = parseMessage(text);
    switch (msg.type) {
      case 'start': {
        if (s.streams.has(msg.streamId)) {
          throw new LabGraphError('StreamIDAlreadyExists', `stream_id "${msg.streamId}" is already open in this session; end it first or pick another id`, msg.requestId);
        }
        const parsed = parseStreamName(msg.streamName);
        const known = core.models().map((m) => m.id);
        if (!parsed || !known.includes(parsed.model)) {
          throw new LabGraphError('NonExistentStream', `Session used stream name: ${msg.streamName}, which does not exist (streams are <model>/query, <model>/data and <model>/error; models: ${known.join(', ') || 'none yet'})`, msg.requestId);
        }
        if ([...s.streams.values()].some((st) => st.name === msg.streamName)) {
          throw new LabGraphError('StreamAlreadyRequested', `stream "${msg.streamName}" is already open in this session under another stream_id`, msg.requestId);
        }
        s.streams.set(msg.streamId, { id: msg.streamId, name: msg.streamName, ...parsed, batchNum: 0 });
        send(s, startStreamEvent(msg.requestId, msg.streamId));
        return;
      }
      case 'end': {
        if (!s.streams.delete(msg.streamId)) {
          throw new LabGraphError('StreamIDNotFound', `no open stream has stream_id "${msg.streamId}"`, msg.requestId);
        }
        send(s, endStreamEvent(msg.requestId, msg.streamId));
        return;
      }
      case 'batch': {
        const st = s.streams.get(msg.streamId);
        if (!st) throw new LabGraphError('StreamIDNotFound', `stream_batch for stream_id "${msg.streamId}", which is not open: send a start_stream_request first`);
        if (st.kind !== 'query') throw new LabGraphError('MessageNotSupported', `"${st.name}" is an output stream; send samples to "${st.model}/query"`);
        for (const raw of msg.samples) {
          // Outputs and failures reach this session's data/error streams through the core's events;
          // a session without an error stream hears of its own failures as an ErrorEvent. Each sample is
          // a live frame (latest wins in the core): one dropped for a newer sample sends nothing.
          core.query(st.model, sampleInputs(raw), { source: 'labgraph', client: s.id, latest: true, signal: s.gone.signal }).catch((err) => {
            const error = toBridgeError(err);
            if (error.code === 'dropped') return;
            const errorStream = [...s.streams.values()].find((x) => x.model === st.model && x.kind === 'error');
            // A failure reached every error stream through the core; a refused sample (bad input, busy)
            // is this session's alone.
            if (errorStream && !core.isPublished(error)) {
              send(s, streamBatch(errorStream.id, errorStream.name, [sample({ error: error.message }, Date.now())], errorStream.batchNum++));
            } else if (!errorStream) send(s, errorEvent(null, 'InvalidMessageFormat', `a sample on "${st.name}" failed: ${error.message}`));
          });
        }
        return;
      }
    }
  }

  const listener = await listenWebSocket(context, own, 'labgraph', 'open a WebSocket and send LabGraph API messages (start_stream_request, stream_batch, …)',
    own.maxBytes, (ws) => {
      const s: Session = { id: `session-${++sessionSerial}`, ws, streams: new Map(), dropped: 0, gone: new AbortController() };
      sessions.add(s);
      core.clientChange('labgraph', 1);
      ws.on('message', (data: RawData, isBinary: boolean) => {
        try {
          if (isBinary) throw new LabGraphError('InvalidMessageFormat', 'binary messages are not part of the API: send JSON text');
          handle(s, (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8'));
        } catch (err) {
          // Every bad message gets its ErrorEvent; the session stays open (LabGraph's server drops it).
          const e = err instanceof LabGraphError ? err : new LabGraphError('InvalidMessageFormat', (err as Error).message);
          send(s, errorEvent(e.requestId, e.code, e.message));
        }
      });
      ws.on('error', (err) => log.info(`labgraph: ${err.message}`));
      ws.on('close', () => {
        // Closing the socket ends every stream of the session at once, and gives up its samples with the page.
        s.gone.abort();
        sessions.delete(s);
        s.streams.clear();
        core.clientChange('labgraph', -1);
      });
    });

  return {
    url: listener.url,
    async close() {
      core.off('output', onOutput);
      core.off('failure', onFailure);
      await listener.close();
    },
  };
}
