// The OSCQuery listener (--oscquery-port): the OSC listener's namespace as JSON over HTTP, following the
// OSCQuery proposal (docs/protocols.md, "OSCQuery"). It describes the OSC listener started before it,
// whose address it reads from the listener table.
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { ListenerModule, PortOptions } from '../../listener-module.ts';
import { urlOf } from '../../listener.ts';
import { buildNamespace, hostInfo, type DescribeNumeric } from './namespace.ts';
import { createOscQueryServer } from './server.ts';

/** HOOK (numeric replies): the OSC listener's lister of numeric reply addresses, once it has one. */
const describeNumeric: DescribeNumeric | undefined = undefined;

export const oscQueryListener: ListenerModule<PortOptions> = {
  name: 'oscquery',
  portFlag: '--oscquery-port',
  ownOptions: (o) => ({ host: o.host, port: o.oscqueryPort, maxBytes: o.maxBody }),
  async start({ core, access, listeners }, own) {
    const oscUrl = listeners.osc;
    if (oscUrl === undefined) throw new Error('OSCQuery describes the OSC listener, which is not running');
    const name = `pagebridge on ${hostname()}`;
    const app = createOscQueryServer(access, {
      namespace: () => buildNamespace(core.models(), core.defaultModel, { describeNumeric }),
      hostInfo: () => hostInfo(name, oscUrl, own.host),
    });
    try {
      await app.listen({ host: own.host, port: own.port });
    } catch (err) {
      await app.close();
      throw err;
    }
    return {
      url: urlOf('http', own.host, (app.server.address() as AddressInfo).port),
      close: () => app.close(),
    };
  },
};
