// The OSCQuery listener (--oscquery-port): the OSC listener's namespace as JSON over HTTP, following the
// OSCQuery proposal (docs/protocols.md, "OSCQuery"), and its DNS-SD advertisement (mdns.ts, --no-mdns).
// It describes the OSC listener started before it, whose address it reads from the listener table.
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { connectionOptions, type ConnectionOptions, type ListenerModule } from '../../listener-module.ts';
import { answerUnclaimedUpgrades, capConnections } from '../connections.ts';
import { urlOf } from '../../listener.ts';
import { advertise, type Advertisement } from './mdns.ts';
import { buildNamespace, hostInfo } from './namespace.ts';
import { createOscQueryServer } from './server.ts';

export interface OscQueryOptions extends ConnectionOptions {
  /** Advertise over DNS-SD/mDNS (--no-mdns turns it off). */
  mdns: boolean;
}

export const oscQueryListener: ListenerModule<OscQueryOptions> = {
  name: 'oscquery',
  portFlag: '--oscquery-port',
  ownOptions: (o) => ({ ...connectionOptions(o, o.oscqueryPort), mdns: o.mdns }),
  async start({ core, access, log, listeners }, own) {
    const oscUrl = listeners.osc;
    if (oscUrl === undefined) throw new Error('OSCQuery describes the OSC listener, which is not running');
    const name = `pagebridge on ${hostname()}`;
    const app = createOscQueryServer(access, {
      namespace: () => buildNamespace(core.models(), core.defaultModel),
      hostInfo: () => hostInfo(name, oscUrl, own.host),
    }, own.idleMs);
    capConnections(app.server, own.maxConnections, 'oscquery', log);
    // Node would take an upgrade nobody listens for as a plain request: answer it as one nobody serves.
    answerUnclaimedUpgrades(app.server, [], 'OSCQuery over plain HTTP (GET) only');
    try {
      await app.listen({ host: own.host, port: own.port });
    } catch (err) {
      await app.close();
      throw err;
    }
    const port = (app.server.address() as AddressInfo).port;
    let advertisement: Advertisement | undefined;
    if (own.mdns) {
      try {
        advertisement = advertise(own.host, 'pagebridge', [
          { type: 'oscjson', protocol: 'tcp', port },
          { type: 'osc', protocol: 'udp', port: Number(new URL(oscUrl).port) },
        ], log);
      } catch (err) {
        // Discovery is a convenience: the addresses work without it.
        log.warn(`mdns: not advertising: ${(err as Error).message}`);
      }
    }
    return {
      url: urlOf('http', own.host, port),
      async close() {
        await advertisement?.close();
        await app.close();
      },
    };
  },
};
