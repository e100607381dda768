// Runway's OSC server over UDP: `/server/connect` and `/server/disconnect` register a client, `/query`
// runs the model, `/info` answers with the model's info; every output and failure of the model, whoever
// caused it, goes to every connected client as `/data` or `/error`, one JSON string each. The same
// addresses under `/models/<id>/` serve one model, and their replies carry that prefix.
// Translation only: the core validates, runs and publishes; this folder keeps who listens where
// (clients.ts), reads addresses and arguments (addresses.ts) and writes replies (replies.ts).
import dgram, { type RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import osc, { type OscMessage } from 'osc';
import type { Values } from '../../../web/contract/index.ts';
import type { FailureEvent, OutputEvent } from '../../core/core.ts';
import { BridgeError, toBridgeError } from '../../core/errors.ts';
import { toJson } from '../../core/values.ts';
import type { Listener, ListenerContext, ListenerModule, PortOptions } from '../../listener-module.ts';
import { urlOf } from '../../listener.ts';
import { addressedAs } from '../addressed.ts';
import { connectArgs, parseAddress, prefixOf, queryInput, replyPort, type OscArg } from './addresses.ts';
import { Clients, MAX_CLIENTS, clientKey, type Client } from './clients.ts';
import { encodeReply } from './replies.ts';

export { MAX_DATAGRAM_BYTES, encodeReply } from './replies.ts';
export { OSC_ADDRESSES, connectArgs, parseAddress, queryInput, replyPort, type OscAction, type OscAddressSpec, type OscTarget } from './addresses.ts';
export { MAX_CLIENTS } from './clients.ts';

const SOURCE = 'osc';

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
  // With type tags: a float port and a blob read as what they are (addresses.ts).
  const udp = new osc.UDPPort({ socket, metadata: true, unpackSingleArgs: false });

  const clients = new Clients();
  // Never throws: it runs inside the core's event emission and after queries settle (maybe after close).
  const send = (to: Client, packet: Uint8Array) => {
    try {
      udp.sendRaw(packet, to.address, to.port);
    } catch (err) {
      log.warn(`osc: could not send to ${clientKey(to)}: ${(err as Error).message}`);
    }
  };
  const isConnected = (prefix: string, c: Client) => clients.has(prefix, c);

  // Size gate before decoding: the port decodes every datagram itself unless its own 'data' listener goes.
  let sender: RemoteInfo | undefined;
  udp.removeAllListeners('data');
  udp.on('data', (data, info) => {
    if (data.byteLength > own.maxBytes) {
      log.warn(`osc: dropped a datagram of ${data.byteLength} bytes from ${info.address}:${info.port}, over the limit of ${own.maxBytes} (--max-body)`);
      return;
    }
    sender = info;
    // A copy at offset 0: the osc package reads a blob at its offset in the whole ArrayBuffer, which for a
    // Buffer that is a slice of a larger one is the wrong place.
    try { udp.decodeOSC(new Uint8Array(data), info); } finally { sender = undefined; }
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
    const args = (message.args ?? []) as OscArg[];
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
      const input = queryInput(message.address, args);
      if ('error' in input) {
        fail(asker, input.error);
        return;
      }
      let inputs: unknown;
      if ('image' in input) {
        // The model's (first) image input, as an HTTP image body is.
        try {
          const view = core.model(model);
          const port = view.info.inputs.find((p) => p.type === 'image');
          if (!port) throw new BridgeError('bad_request', `"${view.id}" takes no image input; send ${message.address} s <the input JSON>`);
          inputs = { [port.name]: input.image };
        } catch (err) {
          fail(asker, toBridgeError(err).message);
          return;
        }
      } else {
        try {
          inputs = JSON.parse(input.json);
        } catch (err) {
          fail(asker, `the argument of ${message.address} is not JSON (${(err as Error).message})`);
          return;
        }
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

    const given = action === 'info' ? replyPort(args) : connectArgs(message.address, args);
    if (given !== undefined && typeof given === 'object' && 'error' in given) {
      fail(asker, action === 'info' ? `${message.address}: ${given.error}` : given.error);
      return;
    }
    const port = typeof given === 'number' ? given : given?.port ?? info.port;
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
        const result = clients.connect(prefix, client);
        if (result === 'full') {
          fail(client, `${MAX_CLIENTS} OSC clients are connected to ${prefix || '/'} already, the most allowed; send /server/disconnect from one first`);
          return;
        }
        if (result === 'added') core.clientChange('osc', 1);
        log.info(`osc: ${clientKey(client)} connected to ${prefix || 'the default model'}`);
        return;
      }
      case 'disconnect': {
        if (clients.disconnect(prefix, client)) {
          core.clientChange('osc', -1);
          log.info(`osc: ${clientKey(client)} disconnected from ${prefix || 'the default model'}`);
        }
        return;
      }
    }
  }

  /** Sends one reply to every client of the model's address spaces: its own, and `/` while it is the default. */
  function broadcast(model: string, kind: 'data' | 'error', value: () => unknown) {
    let json: unknown;
    for (const id of addressedAs(model, core.defaultModel)) {
      const prefix = prefixOf(id);
      const to = [...clients.of(prefix)];
      if (!to.length) continue;
      json ??= value();
      const packet = encodeReply(prefix, kind, json);
      for (const client of to) send(client, packet);
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
