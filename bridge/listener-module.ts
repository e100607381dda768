// The one shape of every listener (HTTP, the relay, Socket.IO, OSC, LabGraph, TCP, the runtime
// WebSocket): bridge/bridge.ts starts them in order from one list and closes them in reverse.
import type { IncomingMessage, Server } from 'node:http';
import type { BridgeCore } from './core/core.ts';
import type { Access } from './access.ts';
import type { Log } from './log.ts';
import type { BridgeOptions } from './options.ts';

/** What every listener is started with, besides its own options. */
export interface ListenerContext {
  core: BridgeCore;
  /** The Host and Origin checks (--host, --allow-origin). */
  access: Access;
  log: Log;
  /** Every listener's address by name as they start (what /health and the page's hello report). */
  listeners: Readonly<Record<string, string>>;
}

/** The bridge's options as listeners pick from them: resolved, and the pairing token drawn when none was given. */
export type ResolvedOptions = Readonly<BridgeOptions & { token: string }>;

/** A started listener. */
export interface Listener {
  /** Its address as a client would write it (http://…, udp://…, ws://…, tcp://…; `urlOf` in bridge/listener.ts). */
  url: string;
  close(): Promise<void>;
}

/** What the HTTP listener offers to the listeners that ride on its port (the relay, Socket.IO). */
export interface HttpOffer {
  httpServer: Server;
  /**
   * Claims the upgrades (WebSocket handshakes) that `test` accepts (by path), for a listener that handles
   * them on its own 'upgrade' listener; every other upgrade the HTTP listener answers 404 and closes.
   */
  claimUpgrades(test: (req: IncomingMessage) => boolean): void;
}

/** The own options of a listener with a port of its own. */
export interface PortOptions {
  /** The interface to listen on (--host). */
  host: string;
  /** The port from its flag (0 picks a free one). */
  port: number;
  /** Largest body, frame, datagram or message, in bytes (--max-body). */
  maxBytes: number;
}

/** How many connections a listener holds and how long one may idle (bridge/protocols/connections.ts). */
export interface ConnectionLimits {
  /** Connections it holds at once (--max-connections); past it new ones are refused. */
  maxConnections: number;
  /** Milliseconds a connection may send nothing before it is closed (--idle-timeout). */
  idleMs: number;
}

/** The own options of a listener that takes connections (every one but OSC, which is UDP). */
export interface ConnectionOptions extends PortOptions, ConnectionLimits {}

export const connectionLimits = (o: ResolvedOptions): ConnectionLimits => ({ maxConnections: o.maxConnections, idleMs: o.idleTimeout * 1000 });

/** A connection listener's options: its port, --host, --max-body and the limits on its connections. */
export const connectionOptions = (o: ResolvedOptions, port: number): ConnectionOptions => ({
  host: o.host, port, maxBytes: o.maxBody, ...connectionLimits(o),
});

/**
 * A listener module. `Own` is what it picks from the bridge's options, `Rides` what it needs from a
 * listener started before it, `Offers` what it gives the listeners started after it. `ownOptions` and
 * `start` are methods, not function properties, so that one list (bridge/bridge.ts) can hold modules
 * whose `Own` and `Rides` differ.
 */
export interface ListenerModule<Own extends { host: string; port?: number }, Rides extends object = object, Offers extends object = object> {
  /** Its name in the listener table, where it has a port of its own. */
  name: string;
  /** The flag that sets its own port, named when the port cannot be had; none for one that rides on another's port. */
  portFlag?: string;
  /** Its own options, picked from the bridge's resolved options. */
  ownOptions(options: ResolvedOptions): Own;
  /** Resolves once it listens. */
  start(context: ListenerContext & Rides, own: Own): Promise<Listener & Offers>;
}
