// What the OSC listener sends back: `<prefix>/data`, `<prefix>/error` and `<prefix>/info`, one JSON string
// each, as Runway's OSC server did; outputs for clients that asked for numbers as small numeric messages
// (bridge/protocols/osc/numeric/).
import osc from 'osc';
import type { Port, Values } from '../../../web/contract/index.ts';
import type { ReplyFormat } from './addresses.ts';
import { encodeNumeric } from './numeric/index.ts';

/**
 * The largest reply sent as one datagram. UDP over IPv4 carries at most 65,507 bytes, and a larger reply
 * would arrive truncated or not at all (macOS even drops datagrams over 9,216 bytes by default), so a
 * reply over this becomes an `/error` that points to HTTP or TCP.
 */
export const MAX_DATAGRAM_BYTES = 65_000;

export type ReplyKind = 'data' | 'error' | 'info';

/**
 * One reply as a datagram: `<prefix>/<kind>` with the JSON as its one string argument. One that would not
 * fit in a datagram is not sent truncated: it becomes `<prefix>/error` saying how large it is.
 */
export function encodeReply(prefix: string, kind: ReplyKind, value: unknown): Uint8Array {
  const packet = osc.writePacket({ address: `${prefix}/${kind}`, args: [JSON.stringify(value)] }, { metadata: false });
  if (packet.byteLength <= MAX_DATAGRAM_BYTES) return packet;
  const what = kind === 'data' ? 'output' : kind === 'info' ? 'info' : 'error message';
  const error = `the ${what} is ${packet.byteLength} bytes, too large for OSC (one UDP datagram holds at most ${MAX_DATAGRAM_BYTES}); ` +
    'use HTTP (POST /query, GET /data) or TCP for outputs this large';
  return osc.writePacket({ address: `${prefix}/error`, args: [JSON.stringify({ error })] }, { metadata: false });
}

/** What a client asked for: Runway's JSON, or numbers with a slot count (bridge/protocols/osc/addresses.ts). */
export interface OutputForm { format: ReplyFormat; slots?: number }

/** One output of a model, as the replies to every client are made from it. */
export interface Output {
  /** The address space's prefix: '' or '/models/<id>'. */
  prefix: string;
  model: string;
  outputs: Values;
  /** The model's output ports (its info). */
  ports: () => readonly Port[];
  /** The outputs as JSON (images as data URIs), made once for all clients. */
  json: () => unknown;
}

/** The datagrams of one output for the clients of one form. */
export function outputDatagrams(output: Output, form: OutputForm): Uint8Array[] {
  if (form.format === 'numeric') {
    // The default model's space sends `/<model>/<output>/…`; a model's own space `/models/<model>/<output>/…`.
    try {
      return encodeNumeric(output.model, output.ports(), output.json() as Values,
        { prefix: output.prefix === '' ? '' : '/models', slots: form.slots });
    } catch (err) {
      // Only a name too long for any datagram gets here: say so rather than send nothing.
      return [encodeReply(output.prefix, 'error', { error: `this output cannot be sent as numeric OSC: ${(err as Error).message}` })];
    }
  }
  return [encodeReply(output.prefix, 'data', output.json())];
}
