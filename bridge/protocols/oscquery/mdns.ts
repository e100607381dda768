// DNS-SD over mDNS (bonjour-service): `_oscjson._tcp` (the OSCQuery port) and `_osc._udp` (the OSC port),
// so that OSCQuery and OSC browsers (Chataigne, ossia score, VDMX) list the bridge. Confined to the
// loopback interface while the bridge listens on loopback (the default): its multicast is sent with
// 127.0.0.1 as the multicast interface, and its address records say 127.0.0.1, so nothing leaves the
// machine and no other machine is told of a bridge it could not reach. A wider --host advertises on the LAN.
import type { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { Bonjour, type Service } from 'bonjour-service';
import { isLoopbackName } from '../../access.ts';
import type { Log } from '../../log.ts';

/** Where the advertisement goes, for a bridge listening on `host` (--host). */
export interface MdnsScope {
  /** Loopback only: nothing is sent on any other interface. */
  loopback: boolean;
  /** The IPv4 address of the interface multicast goes out of and is listened for on; all interfaces when absent. */
  interface?: string;
  /** The address records (A, AAAA) clients resolve the services to; every interface's address when absent. */
  addresses?: string[];
  /** Whether AAAA records go with them (only where the bridge listens on IPv6). */
  ipv6: boolean;
}

export function mdnsScope(host: string): MdnsScope {
  const family = isIP(host);
  if (isLoopbackName(host)) {
    // A loopback name (localhost) resolves to 127.0.0.1 for every client on this machine.
    return { loopback: true, interface: '127.0.0.1', addresses: [family === 0 ? '127.0.0.1' : host], ipv6: family === 6 };
  }
  if (host === '0.0.0.0') return { loopback: false, ipv6: false };
  if (host === '::') return { loopback: false, ipv6: true };
  if (family === 4) return { loopback: false, interface: host, addresses: [host], ipv6: false };
  if (family === 6) return { loopback: false, addresses: [host], ipv6: true };
  // A host name: listening on what it resolves to, which clients resolve the same way.
  return { loopback: false, ipv6: true };
}

export interface AdvertisedService {
  /** DNS-SD service type without underscores: `oscjson`, `osc`. */
  type: string;
  protocol: 'tcp' | 'udp';
  port: number;
}

export interface Advertisement {
  /** Sends goodbyes (TTL 0) for every service, so browsers drop them at once, and closes the socket. */
  close(): Promise<void>;
}

/** A DNS label of this machine's name, for the services' host name (never the system's own `<hostname>.local`). */
const hostLabel = () => hostname().split('.')[0]!.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'host';

/**
 * Advertises `services` as instances named `<name> (<port>)`: the port keeps two bridges on one machine
 * from claiming one name (bonjour-service withdraws a service whose name it finds taken).
 */
export function advertise(host: string, name: string, services: readonly AdvertisedService[], log: Log): Advertisement {
  const scope = mdnsScope(host);
  // bonjour-service passes these to multicast-dns. Bound to the wildcard: a socket bound to 127.0.0.1
  // would never receive datagrams sent to the mDNS group address.
  const bonjour = new Bonjour({ ...(scope.interface && { interface: scope.interface }), bind: '0.0.0.0' } as object,
    (err: Error) => log.warn(`mdns: ${err.message}`));
  // multicast-dns reports a port it cannot bind as 'error', which nothing of bonjour-service listens to:
  // unheard, it would end the process.
  const engine = (bonjour as unknown as { server?: { mdns?: EventEmitter } }).server?.mdns;
  if (!engine) {
    bonjour.destroy();
    throw new Error('bonjour-service has no multicast-dns engine where this bridge expects it (bridge/protocols/oscquery/mdns.ts)');
  }
  let failed = false;
  engine.on('error', (err: Error) => {
    failed = true;
    log.warn(`mdns: cannot advertise: ${err.message}`);
  });
  // multicast-dns retries a failed group membership every 5 s: say each warning once.
  const warned = new Set<string>();
  engine.on('warning', (err: Error) => {
    if (warned.size < 16 && !warned.has(err.message)) log.warn(`mdns: ${err.message}`);
    warned.add(err.message);
  });

  const target = `${hostLabel()}-pagebridge.local`;
  const published: Service[] = services.map((s) => {
    const service = bonjour.publish({
      name: `${name} (${s.port})`, type: s.type, protocol: s.protocol, port: s.port, host: target, disableIPv6: !scope.ipv6,
      // Probing (three queries, 250 ms apart) comes before the first announcement; records() is first
      // read then, after the override below.
      probe: true,
    });
    if (scope.addresses) {
      // bonjour-service lists every non-internal interface's address: the bridge listens on these alone.
      const records = service.records.bind(service);
      const addresses = scope.addresses;
      service.records = () => [
        ...records().filter((r) => r.type !== 'A' && r.type !== 'AAAA'),
        ...addresses.map((address) => ({ name: target, type: isIP(address) === 6 ? 'AAAA' as const : 'A' as const, ttl: 120, data: address })),
      ];
    }
    return service;
  });
  let up = 0;
  for (const s of published) {
    s.once('up', () => {
      // bonjour-service says 'up' after sending, whether or not the send could be made.
      if (++up < published.length || failed) return;
      const where = scope.loopback ? 'on the loopback interface only (--host is a loopback address)' : 'on the LAN';
      log.info(`mdns: advertising ${published.map((p) => `${p.type} (port ${p.port})`).join(' and ')} ${where}`);
    });
  }

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= new Promise<void>((resolve) => {
        // Never hold up the bridge's shutdown on a socket that does not answer.
        const timer = setTimeout(resolve, 1000);
        timer.unref();
        bonjour.unpublishAll(() => bonjour.destroy(() => { clearTimeout(timer); resolve(); }));
      });
      return closing;
    },
  };
}
