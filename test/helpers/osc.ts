// A real OSC client for tests (the `osc` package over UDP): sends to the bridge, queues what comes back.
import { createSocket } from 'node:dgram';
import osc, { type Argument, type UDPPort } from 'osc';

export interface Received { address: string; args: unknown[] }

export class OscClient {
  private readonly queue: Received[] = [];
  private waiter: (() => void) | undefined;

  private constructor(private readonly udp: UDPPort, readonly port: number, private readonly server: { host: string; port: number }) {
    udp.on('message', (m) => {
      this.queue.push({ address: m.address, args: Array.isArray(m.args) ? m.args : [m.args] });
      this.waiter?.();
    });
  }

  /**
   * Opens a client that talks to the bridge's OSC listener (`udp://host:port`), on a free local port unless
   * `local` names one (and its address: another loopback one, 127.0.0.2, is another host).
   */
  static async open(serverUrl: string, local: { address?: string; port?: number } = {}): Promise<OscClient> {
    const url = new URL(serverUrl);
    const udp = new osc.UDPPort({ localAddress: local.address ?? '127.0.0.1', localPort: local.port ?? 0, metadata: false });
    await new Promise<void>((resolve, reject) => {
      udp.once('ready', resolve);
      udp.once('error', reject);
      udp.open();
    });
    const address = udp.socket!.address();
    return new OscClient(udp, address.port, { host: url.hostname, port: Number(url.port) });
  }

  /** Sends one message; numbers go as floats unless given as `{ type: 'i', value }`. */
  send(address: string, ...args: Argument[]): void {
    this.udp.send({ address, args }, this.server.host, this.server.port);
  }

  sendRaw(bytes: Uint8Array): void {
    this.udp.sendRaw(bytes, this.server.host, this.server.port);
  }

  /** The next message that came back, in order of arrival. */
  async next(what = 'an OSC message', ms = 30_000): Promise<Received> {
    const end = Date.now() + ms;
    while (this.queue.length === 0) {
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiter = () => { clearTimeout(timer); resolve(); };
      });
    }
    return this.queue.shift()!;
  }

  /** The next message, which must have this address; its one string argument parsed as JSON. */
  async nextJson(address: string, ms?: number): Promise<any> {
    const m = await this.next(address, ms);
    if (m.address !== address) throw new Error(`expected ${address}, got ${m.address} ${JSON.stringify(m.args).slice(0, 300)}`);
    if (m.args.length !== 1 || typeof m.args[0] !== 'string') throw new Error(`${address} should carry one string, got ${JSON.stringify(m.args)}`);
    return JSON.parse(m.args[0]);
  }

  get pending(): number {
    return this.queue.length;
  }

  close(): void {
    this.udp.close();
  }
}

/** A UDP port that was free a moment ago, for a tool that must be told a number (oscdump, Pd's [netreceive]). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
