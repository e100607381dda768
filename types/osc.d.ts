// The parts of the `osc` package (osc.js, no types of its own) that this project uses.
declare module 'osc' {
  import type { EventEmitter } from 'node:events';
  import type { RemoteInfo, Socket } from 'node:dgram';

  /** An argument with its OSC type tag, as read and written with `metadata: true`. */
  export interface TypedArgument { type: string; value: unknown }
  export type Argument = string | number | boolean | null | Uint8Array | TypedArgument;

  export interface OscMessage { address: string; args?: Argument[] | Argument }
  export interface TimeTag { raw: [number, number]; native: number }
  export interface OscBundle { timeTag: TimeTag; packets: OscPacket[] }
  export type OscPacket = OscMessage | OscBundle;

  export interface ReadOptions { metadata?: boolean; unpackSingleArgs?: boolean }

  export interface UDPPortOptions extends ReadOptions {
    localAddress?: string;
    localPort?: number;
    remoteAddress?: string;
    remotePort?: number;
    broadcast?: boolean;
    /** A dgram socket, bound or not, to use instead of one the port makes. */
    socket?: Socket;
  }

  export class UDPPort extends EventEmitter {
    constructor(options: UDPPortOptions);
    readonly options: UDPPortOptions;
    socket?: Socket;
    open(): void;
    close(): void;
    send(packet: OscPacket, address?: string, port?: number): void;
    sendRaw(encoded: Uint8Array, address?: string, port?: number): void;
    /** Decodes one datagram and emits `raw`, `osc`, `bundle`, `message` (or `error`). */
    decodeOSC(data: Uint8Array, packetInfo?: RemoteInfo): void;
    on(event: 'ready' | 'close', listener: () => void): this;
    on(event: 'message', listener: (message: OscMessage, timeTag: TimeTag | undefined, info: RemoteInfo) => void): this;
    on(event: 'bundle', listener: (bundle: OscBundle, timeTag: TimeTag | undefined, info: RemoteInfo) => void): this;
    on(event: 'data' | 'raw', listener: (data: Uint8Array, info: RemoteInfo) => void): this;
    on(event: 'error', listener: (error: Error | string) => void): this;
  }

  export function readPacket(data: Uint8Array, options?: ReadOptions): OscPacket;
  export function writePacket(packet: OscPacket, options?: ReadOptions): Uint8Array;
  export function timeTag(secondsFromNow?: number, now?: number): TimeTag;

  const osc: {
    UDPPort: typeof UDPPort;
    readPacket: typeof readPacket;
    writePacket: typeof writePacket;
    timeTag: typeof timeTag;
  };
  export default osc;
}
