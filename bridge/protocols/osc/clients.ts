// Who is connected to which address space (`/` or `/models/<id>/`), and where their replies go.
//
// A registration is a host and the ports on it that get its replies: the port given in
// `/server/connect i <port>`, else the datagram's source port and Runway's reply port (--osc-reply-port,
// 57200: Runway's Processing examples listen there and send from another socket). Two registrations of
// one space never share a port on a host: a connect whose ports overlap older ones replaces them (a
// sketch run again), and a disconnect removes the ones its ports overlap (one sent from another socket
// still finds its sketch through the reply port). One not heard from (any datagram from its host) for
// the TTL (--osc-client-ttl) expires: UDP never says that a client went away.
import type { ReplyFormat } from './addresses.ts';

/** Registrations one address space may hold: a flood of connects cannot grow memory. */
export const MAX_CLIENTS = 256;

/** Where one datagram goes. */
export interface Destination { address: string; port: number }
export const destinationKey = (d: Destination) => `${d.address}:${d.port}`;

export interface Registration {
  /** The client's host: the address its connect came from. */
  host: string;
  /** The ports on that host that get every reply, each once. */
  ports: readonly number[];
  /** Runway's JSON (`/data s <json>`) or numbers (bridge/protocols/osc/replies.ts). */
  format: ReplyFormat;
  /** For numeric replies: how many entries every list of entries sends. */
  slots?: number;
}

export const destinationsOf = (r: Registration): Destination[] => r.ports.map((port) => ({ address: r.host, port }));
export const describeRegistration = (r: Registration) => `${r.host}:${r.ports.join('+')}${r.format === 'numeric' ? ' (numeric)' : ''}`;

/** What a connect did: added it (replacing those it overlapped), or refused it because the space is full. */
export type ConnectResult = { added: true; replaced: Registration[] } | { added: false };

export class Registrations {
  private readonly spaces = new Map<string, Registration[]>();
  /** When a datagram last came from each host (ms). */
  private readonly heard = new Map<string, number>();

  constructor(private readonly ttlMs: number, private readonly now: () => number = Date.now) {}

  /** Any datagram from a host keeps its registrations alive: a tool may send from any of its sockets. */
  heardFrom(host: string): void {
    this.heard.set(host, this.now());
  }

  /** Registers `r` in a space, replacing every registration of its host that shares one of its ports. */
  connect(prefix: string, r: Registration): ConnectResult {
    const list = this.spaces.get(prefix) ?? [];
    const replaced = list.filter((o) => overlaps(o, r.host, r.ports));
    if (list.length - replaced.length >= MAX_CLIENTS) return { added: false };
    const kept = list.filter((o) => !replaced.includes(o));
    kept.push(r);
    this.spaces.set(prefix, kept);
    return { added: true, replaced };
  }

  /** Removes the registrations of `host` in a space that share one of `ports`; returns them. */
  disconnect(prefix: string, host: string, ports: readonly number[]): Registration[] {
    const list = this.spaces.get(prefix);
    if (!list) return [];
    const removed = list.filter((o) => overlaps(o, host, ports));
    this.set(prefix, list.filter((o) => !removed.includes(o)));
    return removed;
  }

  /** The registrations of one space. */
  of(prefix: string): readonly Registration[] {
    return this.spaces.get(prefix) ?? [];
  }

  /** The registrations of one space made from `host`. */
  fromHost(prefix: string, host: string): Registration[] {
    return this.of(prefix).filter((r) => r.host === host);
  }

  /** Removes and returns every registration whose host was not heard from within the TTL. */
  expire(): { prefix: string; registration: Registration }[] {
    const now = this.now();
    const alive = (host: string) => now - (this.heard.get(host) ?? -Infinity) <= this.ttlMs;
    const gone: { prefix: string; registration: Registration }[] = [];
    for (const [prefix, list] of this.spaces) {
      for (const registration of list) if (!alive(registration.host)) gone.push({ prefix, registration });
      this.set(prefix, list.filter((r) => alive(r.host)));
    }
    for (const host of this.heard.keys()) if (!alive(host)) this.heard.delete(host);
    return gone;
  }

  private set(prefix: string, list: Registration[]) {
    if (list.length) this.spaces.set(prefix, list);
    else this.spaces.delete(prefix);
  }
}

const overlaps = (r: Registration, host: string, ports: readonly number[]) => r.host === host && r.ports.some((p) => ports.includes(p));
