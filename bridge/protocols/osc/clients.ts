// Who is connected to which address space (`/` or `/models/<id>/`), and where their replies go.

/** Clients one address space (`/` or `/models/<id>/`) may hold: a flood of connects cannot grow memory. */
export const MAX_CLIENTS = 256;

export interface Client { address: string; port: number }
export const clientKey = (c: Client) => `${c.address}:${c.port}`;

export type ConnectResult = 'added' | 'again' | 'full';

/** The clients of every address space, by prefix ('' for the default model). */
export class Clients {
  private readonly spaces = new Map<string, Map<string, Client>>();

  has(prefix: string, c: Client): boolean {
    return this.spaces.get(prefix)?.has(clientKey(c)) ?? false;
  }

  /** Registers a client; 'full' when the space holds MAX_CLIENTS others already. */
  connect(prefix: string, client: Client): ConnectResult {
    let clients = this.spaces.get(prefix);
    if (!clients) this.spaces.set(prefix, (clients = new Map()));
    if (clients.has(clientKey(client))) return 'again';
    if (clients.size >= MAX_CLIENTS) return 'full';
    clients.set(clientKey(client), client);
    return 'added';
  }

  /** True when it was connected. */
  disconnect(prefix: string, client: Client): boolean {
    const clients = this.spaces.get(prefix);
    const was = clients?.delete(clientKey(client)) ?? false;
    if (clients?.size === 0) this.spaces.delete(prefix);
    return was;
  }

  /** The clients of one space. */
  of(prefix: string): Iterable<Client> {
    return this.spaces.get(prefix)?.values() ?? [];
  }
}
