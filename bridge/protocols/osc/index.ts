// Runway's OSC server over UDP: `/server/connect` and `/server/disconnect` register a client, `/query`
// runs the model, `/info` answers with the model's info; every output and failure of the model, whoever
// caused it, goes to every registered client as `/data` or `/error`, one JSON string each. The same
// addresses under `/models/<id>/` serve one model, and their replies carry that prefix. A reply meant for
// one sender (its errors; its answers while it is not registered) goes to the clients registered from its
// host, else to its source port: many tools listen on another socket than they send from.
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
import {
  MAX_CLIENTS, Registrations, describeRegistration, destinationKey, destinationsOf, type Destination, type Registration,
} from './clients.ts';
import { encodeReply, outputDatagrams, type Output, type OutputForm } from './replies.ts';

export { MAX_DATAGRAM_BYTES, encodeReply } from './replies.ts';
export { OSC_ADDRESSES, connectArgs, parseAddress, queryInput, replyPort, type OscAction, type OscAddressSpec, type OscTarget } from './addresses.ts';
export { MAX_CLIENTS } from './clients.ts';

const SOURCE = 'osc';

/** The OSC listener's own options, besides its port. */
export interface OscOptions extends PortOptions {
  /** Runway's reply port, reached too by a `/server/connect` without a port (--osc-reply-port; 0: off). */
  replyPort: number;
  /** Seconds a registration lives without a datagram from its host (--osc-client-ttl). */
  clientTtl: number;
  /** Numbers instead of JSON for clients that do not say (--osc-numeric). */
  numeric: boolean;
}

export const oscListener: ListenerModule<OscOptions> = {
  name: 'osc',
  portFlag: '--osc-port',
  ownOptions: (o) => ({
    host: o.host, port: o.oscPort, maxBytes: o.maxBody, replyPort: o.oscReplyPort, clientTtl: o.oscClientTtl, numeric: o.oscNumeric,
  }),
  start: startOsc,
};

async function startOsc(context: ListenerContext, own: OscOptions): Promise<Listener> {
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

  const ttlMs = own.clientTtl * 1000;
  const registrations = new Registrations(ttlMs);
  const defaultForm: OutputForm = { format: own.numeric ? 'numeric' : 'json' };
  const spaceName = (prefix: string) => prefix || 'the default model';
  // Never throws: it runs inside the core's event emission and after queries settle (maybe after close).
  const send = (to: Destination, packet: Uint8Array) => {
    try {
      udp.sendRaw(packet, to.address, to.port);
    } catch (err) {
      log.warn(`osc: could not send to ${destinationKey(to)}: ${(err as Error).message}`);
    }
  };
  const sendAll = (to: readonly Destination[], packets: readonly Uint8Array[]) => {
    for (const d of to) for (const p of packets) send(d, p);
  };
  /** Where a connect or disconnect without a port reaches: its source port and Runway's reply port, once each. */
  const portsOf = (sourcePort: number) => (own.replyPort && own.replyPort !== sourcePort ? [sourcePort, own.replyPort] : [sourcePort]);
  /**
   * Where a reply meant for the sender of a datagram goes: to the clients registered from its host in that
   * address space, each once (a tool that sends from one socket listens on another: Pd, Max, oscsend),
   * else to the datagram's source port.
   */
  const toSender = (prefix: string, sender: Destination): Destination[] => {
    const fromHost = registrations.fromHost(prefix, sender.address);
    if (!fromHost.length) return [sender];
    const seen = new Map<string, Destination>();
    for (const d of fromHost.flatMap(destinationsOf)) seen.set(destinationKey(d), d);
    return [...seen.values()];
  };
  /** The core's events reach every client of the space: the sender's host's clients hear its outcome there. */
  const hearsEvents = (prefix: string, sender: Destination) => registrations.fromHost(prefix, sender.address).length > 0;

  /** The count of OSC clients in /health and the page's activity: registrations. */
  const countChange = (n: number) => {
    for (; n > 0; n--) core.clientChange('osc', 1);
    for (; n < 0; n++) core.clientChange('osc', -1);
  };
  const sweep = () => {
    for (const { prefix, registration } of registrations.expire()) {
      countChange(-1);
      log.info(`osc: ${describeRegistration(registration)} expired from ${spaceName(prefix)}: nothing came from ${registration.host} for ${own.clientTtl} s (--osc-client-ttl)`);
    }
  };
  // A quarter of the TTL: a registration outlives it by at most that much (and by at most 30 s).
  const sweeper = setInterval(sweep, Math.max(50, Math.min(ttlMs / 4, 30_000)));
  sweeper.unref();

  // Size gate before decoding: the port decodes every datagram itself unless its own 'data' listener goes.
  let sender: RemoteInfo | undefined;
  udp.removeAllListeners('data');
  udp.on('data', (data, info) => {
    registrations.heardFrom(info.address);
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
    const asker: Destination = { address: info.address, port: info.port };
    const target = parseAddress(message.address);
    if (!target) {
      sendAll(toSender('', asker), [encodeReply('', 'error', {
        error: `unknown OSC address ${message.address}: use /server/connect, /server/disconnect, /query, /info, or the same under /models/<id>/`,
      })]);
      return;
    }
    const { model, prefix, action } = target;
    const fail = (to: readonly Destination[], error: string) => sendAll(to, [encodeReply(prefix, 'error', { error })]);
    const failSender = (error: string) => fail(toSender(prefix, asker), error);

    if (action === 'query') {
      const input = queryInput(message.address, args);
      if ('error' in input) {
        failSender(input.error);
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
          failSender(toBridgeError(err).message);
          return;
        }
      } else {
        try {
          inputs = JSON.parse(input.json);
        } catch (err) {
          failSender(`the argument of ${message.address} is not JSON (${(err as Error).message})`);
          return;
        }
      }
      // The clients of the sender's host hear the outcome from the core's events, once; a sender from a
      // host with none gets it here. Each query is a live frame (latest wins in the core): one dropped for
      // a newer frame from the same sender gets no reply at all, as a datagram lost on the way would.
      core.query(model, inputs, { source: SOURCE, client: destinationKey(asker), latest: true }).then(
        (outputs) => {
          if (!hearsEvents(prefix, asker)) sendAll([asker], outputDatagrams(outputOf(prefix, model, outputs), defaultForm));
        },
        (err) => {
          const error = toBridgeError(err);
          if (error.code === 'dropped') return;
          // A query refused before the model is no failure event of the core: the sender's own hear of it.
          if (!core.isPublished(error)) failSender(error.message);
          else if (!hearsEvents(prefix, asker)) fail([asker], error.message);
        },
      );
      return;
    }

    if (action === 'info') {
      const port = replyPort(args);
      if (typeof port === 'object') {
        failSender(`${message.address}: ${port.error}`);
        return;
      }
      const to: Destination = { address: info.address, port: port ?? info.port };
      try {
        send(to, encodeReply(prefix, 'info', core.model(model).info));
      } catch (err) {
        fail([to], toBridgeError(err).message);
      }
      return;
    }

    const given = connectArgs(message.address, args);
    if ('error' in given) {
      failSender(given.error);
      return;
    }
    const ports = given.port !== undefined ? [given.port] : portsOf(info.port);
    if (action === 'disconnect') {
      const removed = registrations.disconnect(prefix, info.address, ports);
      countChange(-removed.length);
      for (const r of removed) log.info(`osc: ${describeRegistration(r)} disconnected from ${spaceName(prefix)}`);
      return;
    }
    const registration: Registration = {
      host: info.address, ports, ...(given.format ? { format: given.format } : defaultForm),
      ...(given.slots !== undefined ? { slots: given.slots } : {}),
    };
    const to = destinationsOf(registration);
    if (model !== undefined) {
      try { core.model(model); } catch (err) { fail(to, toBridgeError(err).message); return; }
    }
    sweep();
    const result = registrations.connect(prefix, registration);
    if (!result.added) {
      fail(to, `${MAX_CLIENTS} OSC clients are connected to ${prefix || '/'} already, the most allowed; send /server/disconnect from one first`);
      return;
    }
    countChange(1 - result.replaced.length);
    const replacing = result.replaced.filter((r) => describeRegistration(r) !== describeRegistration(registration));
    log.info(`osc: ${describeRegistration(registration)} connected to ${spaceName(prefix)}` +
      (replacing.length ? `, replacing ${replacing.map(describeRegistration).join(', ')}` : ''));
  }

  /** One output (of `model`, undefined for the default one) as every client's replies are made from it. */
  function outputOf(prefix: string, model: string | undefined, outputs: Values): Output {
    let json: unknown;
    return {
      prefix, model: model ?? core.defaultModel ?? '', outputs,
      ports: () => core.model(model).info.outputs, json: () => (json ??= toJson(outputs)),
    };
  }

  /** Sends one output to every client of the model's address spaces: its own, and `/` while it is the default. */
  function onOutput({ model, outputs }: OutputEvent) {
    for (const id of addressedAs(model, core.defaultModel)) {
      const prefix = prefixOf(id);
      const clients = registrations.of(prefix);
      if (!clients.length) continue;
      const output = outputOf(prefix, model, outputs as Values);
      // Made once per form (JSON, numeric with so many slots), sent to each client of that form.
      const made = new Map<string, Uint8Array[]>();
      for (const r of clients) {
        const key = `${r.format}:${r.slots ?? ''}`;
        let packets = made.get(key);
        if (!packets) made.set(key, (packets = outputDatagrams(output, r)));
        sendAll(destinationsOf(r), packets);
      }
    }
  }
  /** Sends one failure to every client of the model's address spaces. */
  function onFailure({ model, error }: FailureEvent) {
    for (const id of addressedAs(model, core.defaultModel)) {
      const prefix = prefixOf(id);
      const clients = registrations.of(prefix);
      if (!clients.length) continue;
      const packet = encodeReply(prefix, 'error', { error: error.message });
      for (const r of clients) sendAll(destinationsOf(r), [packet]);
    }
  }
  core.on('output', onOutput);
  core.on('failure', onFailure);

  return {
    url: urlOf('udp', own.host, socket.address().port),
    async close() {
      clearInterval(sweeper);
      core.off('output', onOutput);
      core.off('failure', onFailure);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
