// What every protocol module gets from the bridge, and what it gives back.
import type { Server } from 'node:http';
import type { BridgeCore } from '../core/core.ts';
import type { Access } from '../access.ts';
import type { Log } from '../log.ts';
import type { BridgeOptions } from '../options.ts';

export interface ProtocolContext {
  core: BridgeCore;
  /** The interface to listen on (--host). */
  host: string;
  /** The port from this protocol's flag (0 picks a free one). */
  port: number;
  access: Access;
  log: Log;
  /** Largest body, frame, datagram or message, in bytes (--max-body). */
  maxBytes: number;
  /** The bridge's HTTP server, for protocols that also ride on the HTTP port (Socket.IO). */
  httpServer: Server;
  /** Every option the bridge was started with, for a protocol's own settings (--data-dir, …). */
  options: Readonly<BridgeOptions>;
}

export interface Listener {
  /** The listener's address as a client would write it (http://…, udp://…, ws://…, tcp://…). */
  url: string;
  close(): Promise<void>;
}

/** Starts a protocol's listener; resolves once it is listening. */
export type StartProtocol = (ctx: ProtocolContext) => Promise<Listener>;
