// Runway's OSC server over UDP: `/server/connect` and `/server/disconnect` register a client, `/query`
// runs the model, `/info` answers with the model's info; every output and failure of the model, whoever
// caused it, goes to every connected client as `/data` or `/error`, one JSON string each. The same
// addresses under `/models/<id>/` serve one model, and their replies carry that prefix.
// Translation only: the core validates, runs and publishes; this module keeps who listens where.
import dgram, { type RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import osc, { type Argument, type OscMessage } from 'osc';
import type { Values } from '../../web/contract/index.ts';
import type { FailureEvent, OutputEvent } from '../core/core.ts';
import { toBridgeError } from '../core/errors.ts';
import { toJson } from '../core/values.ts';
import type { Listener, ListenerContext, ListenerModule, PortOptions } from '../listener-module.ts';
import { urlOf } from '../listener.ts';
import { addressedAs } from './addressed.ts';

const SOURCE = 'osc';

/**
 * The largest reply sent as one datagram. UDP over IPv4 carries at most 65,507 bytes, and a larger reply
 * would arrive truncated or not at all (macOS even drops datagrams over 9,216 bytes by default), so a
 * reply over this becomes an `/error` that points to HTTP or TCP.
 */
export const MAX_DATAGRAM_BYTES = 65_000;

/** Clients one address space (`/` or `/models/<id>/`) may hold: a flood of connects cannot grow memory. */
export const MAX_CLIENTS = 256;

export type OscAction = 'query' | 'info' | 'connect' | 'disconnect';

export interface OscTarget {
  /** The model addressed, or undefined for the default model. */
  model: string | undefined;
  /** What this model's replies start with: '' or '/models/<id>'. */
  prefix: string;
  action: OscAction;
}

const ACTIONS = new Map<string, OscAction>([
  ['/query', 'query'], ['/info', 'info'], ['/server/connect', 'connect'], ['/server/disconnect', 'disconnect'],
]);

/** What the addresses of a model start with: '' for the default model, else '/models/<id>'. */
const prefixOf = (model: string | undefined) => (model === undefined ? '' : `/models/${model}`);

/** `/query` → the default model's query; `/models/<id>/query` → model id's; undefined for anything else. */
export function parseAddress(address: string): OscTarget | undefined {
  const m = /^\/models\/([^/]+)(\/.*)$/.exec(address);
  const model = m?.[1];
  const action = ACTIONS.get(m ? m[2]! : address);
  if (!action) return undefined;
  return { model, prefix: prefixOf(model), action };
}

/**
 * Where replies go: the datagram's source port, or the port given as an optional int argument (for
 * tools that send from one socket and listen on another, such as oscsend and oscdump).
 */
export function replyPort(args: readonly Argument[], sourcePort: number): number | { error: string } {
  const given = args[0];
  if (given === undefined) return sourcePort;
  if (typeof given === 'number' && Number.isInteger(given) && given > 0 && given < 65536) return given;
  return { error: `the optional argument is the port to reply to, an int 1-65535 (got ${JSON.stringify(given)})` };
}

/**
 * One reply as a datagram: `<prefix>/<kind>` with the JSON as its one string argument. One that would not
 * fit in a datagram is not sent truncated: it becomes `<prefix>/error` saying how large it is.
 */
export function encodeReply(prefix: string, kind: 'data' | 'error' | 'info', value: unknown): Uint8Array {
  const packet = osc.writePacket({ address: `${prefix}/${kind}`, args: [JSON.stringify(value)] }, { metadata: false });
  if (packet.byteLength <= MAX_DATAGRAM_BYTES) return packet;
  const what = kind === 'data' ? 'output' : kind === 'info' ? 'info' : 'error message';
  const error = `the ${what} is ${packet.byteLength} bytes, too large for OSC (one UDP datagram holds at most ${MAX_DATAGRAM_BYTES}); ` +
    'use HTTP (POST /query, GET /data) or TCP for outputs this large';
  return osc.writePacket({ address: `${prefix}/error`, args: [JSON.stringify({ error })] }, { metadata: false });
}

interface Client { address: string; port: number }
const clientKey = (c: Client) => `${c.address}:${c.port}`;

export const oscListener: ListenerModule<PortOptions> = {
  name: 'osc',
  portFlag: '--osc-port',
  ownOptions: (o) => ({ host: o.host, port: o.oscPort, maxBytes: o.maxBody }),
  start: startOsc,
};

async function startOsc(context: ListenerContext, own: PortOptions): Promise<Listener> {
  const { core, log } = context;
  const socket = dgram.createSocket(isIP(own.host) === 6 ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(own.port, own.host, () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((err) => {
    socket.close();
    throw err;
  });
  const udp = new osc.UDPPort({ socket, metadata: false });

  /** The clients of each address space, by prefix ('' for the default model). */
  const spaces = new Map<string, Map<string, Client>>();
  // Never throws: it runs inside the core's event emission and after queries settle (maybe after close).
  const send = (to: Client, packet: Uint8Array) => {
    try {
      udp.sendRaw(packet, to.address, to.port);
    } catch (err) {
      log.warn(`osc: could not send to ${clientKey(to)}: ${(err as Error).message}`);
    }
  };
  const isConnected = (prefix: string, c: Client) => spaces.get(prefix)?.has(clientKey(c)) ?? false;

  // Size gate before decoding: the port decodes every datagram itself unless its own 'data' listener goes.
  let sender: RemoteInfo | undefined;
  udp.removeAllListeners('data');
  udp.on('data', (data, info) => {
    if (data.byteLength > own.maxBytes) {
      log.warn(`osc: dropped a datagram of ${data.byteLength} bytes from ${info.address}:${info.port}, over the limit of ${own.maxBytes} (--max-body)`);
      return;
    }
    sender = info;
    try { udp.decodeOSC(data, info); } finally { sender = undefined; }
  });
  // The osc package reports undecodable datagrams (and failed sends) as 'error': log them, keep listening.
  udp.on('error', (err) => {
    // The osc package quotes what it could not read: keep a log line short and printable.
    const why = (err instanceof Error ? err.message : String(err)).replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
    if (sender) log.warn(`osc: dropped a malformed datagram from ${sender.address}:${sender.port}: ${why}`);
    else log.warn(`osc: ${why}`);
  });
  socket.on('error', (err) => log.warn(`osc: ${err.message}`));

  udp.on('message', (message, _timeTag, info) => {
    try {
      onMessage(message, info);
    } catch (err) {
      log.warn(`osc: ${message.address} from ${info.address}:${info.port} failed: ${(err as Error).message}`);
    }
  });

  function onMessage(message: OscMessage, info: RemoteInfo) {
    const args: Argument[] = Array.isArray(message.args) ? message.args : message.args === undefined ? [] : [message.args];
    const asker: Client = { address: info.address, port: info.port };
    const target = parseAddress(message.address);
    if (!target) {
      send(asker, encodeReply('', 'error', {
        error: `unknown OSC address ${message.address}: use /server/connect, /server/disconnect, /query, /info, or the same under /models/<id>/`,
      }));
      return;
    }
    const { model, prefix, action } = target;
    const fail = (to: Client, error: string) => send(to, encodeReply(prefix, 'error', { error }));

    if (action === 'query') {
      const [input] = args;
      if (args.length !== 1 || typeof input !== 'string') {
        fail(asker, `${message.address} takes one string argument, the input JSON (got ${args.length} argument${args.length === 1 ? '' : 's'}${args.length ? ` of type ${typeof input}` : ''})`);
        return;
      }
      let inputs: unknown;
      try {
        inputs = JSON.parse(input);
      } catch (err) {
        fail(asker, `the argument of ${message.address} is not JSON (${(err as Error).message})`);
        return;
      }
      // Connected clients hear the outcome from the core's events; anyone else gets it here. Each query is
      // a live frame (latest wins in the core): one dropped for a newer frame from the same sender gets
      // no reply at all, as a datagram lost on the way would.
      core.query(model, inputs, { source: SOURCE, client: clientKey(asker), latest: true }).then(
        (outputs) => { if (!isConnected(prefix, asker)) send(asker, encodeReply(prefix, 'data', toJson(outputs))); },
        (err) => {
          const error = toBridgeError(err);
          if (error.code === 'dropped') return;
          // No model means no failure event from the core: tell the asker itself.
          if (!isConnected(prefix, asker) || error.code === 'not_found') fail(asker, error.message);
        },
      );
      return;
    }

    const port = replyPort(args, info.port);
    if (typeof port !== 'number') {
      fail(asker, `${message.address}: ${port.error}`);
      return;
    }
    const client: Client = { address: info.address, port };
    switch (action) {
      case 'info':
        try {
          send(client, encodeReply(prefix, 'info', core.model(model).info));
        } catch (err) {
          fail(client, toBridgeError(err).message);
        }
        return;
      case 'connect': {
        if (model !== undefined) {
          try { core.model(model); } catch (err) { fail(client, toBridgeError(err).message); return; }
        }
        let clients = spaces.get(prefix);
        if (!clients) spaces.set(prefix, (clients = new Map()));
        if (!clients.has(clientKey(client)) && clients.size >= MAX_CLIENTS) {
          fail(client, `${MAX_CLIENTS} OSC clients are connected to ${prefix || '/'} already, the most allowed; send /server/disconnect from one first`);
          return;
        }
        if (!clients.has(clientKey(client))) core.clientChange('osc', 1);
        clients.set(clientKey(client), client);
        log.info(`osc: ${clientKey(client)} connected to ${prefix || 'the default model'}`);
        return;
      }
      case 'disconnect': {
        const clients = spaces.get(prefix);
        if (clients?.delete(clientKey(client))) {
          core.clientChange('osc', -1);
          log.info(`osc: ${clientKey(client)} disconnected from ${prefix || 'the default model'}`);
        }
        if (clients?.size === 0) spaces.delete(prefix);
        return;
      }
    }
  }

  /** Sends one reply to every client of the model's address spaces: its own, and `/` while it is the default. */
  function broadcast(model: string, kind: 'data' | 'error', value: () => unknown) {
    let json: unknown;
    for (const id of addressedAs(model, core.defaultModel)) {
      const prefix = prefixOf(id);
      const clients = spaces.get(prefix);
      if (!clients?.size) continue;
      json ??= value();
      const packet = encodeReply(prefix, kind, json);
      for (const client of clients.values()) send(client, packet);
    }
  }
  const onOutput = ({ model, outputs }: OutputEvent) => broadcast(model, 'data', () => toJson(outputs as Values));
  const onFailure = ({ model, error }: FailureEvent) => broadcast(model, 'error', () => ({ error: error.message }));
  core.on('output', onOutput);
  core.on('failure', onFailure);

  return {
    url: urlOf('udp', own.host, socket.address().port),
    async close() {
      core.off('output', onOutput);
      core.off('failure', onFailure);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
