// The HTTP listener (--http-port): the page and its models, Runway's HTTP API, KServe v2 under /v2
// (bridge/protocols/kserve/) and /health. Its server also carries the relay (bridge/relay/server.ts)
// and Socket.IO (bridge/protocols/socketio.ts).
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectionOptions, type ConnectionOptions, type HttpOffer, type ListenerModule } from '../../listener-module.ts';
import { urlOf } from '../../listener.ts';
import { answerUnclaimedUpgrades, capConnections } from '../connections.ts';
import { createHttpServer } from './server.ts';
import { addQueryRoutes } from './routes.ts';
import { addKserveRoutes } from '../kserve/index.ts';

/** How long requests in progress get to be answered when the bridge shuts down. */
const CLOSE_GRACE_MS = 2000;

export interface HttpOptions extends ConnectionOptions {
  /** The built page to serve (--static-dir). */
  staticDir: string;
}

export const httpListener: ListenerModule<HttpOptions, object, HttpOffer> = {
  name: 'http',
  portFlag: '--http-port',
  ownOptions: (o) => ({ ...connectionOptions(o, o.httpPort), staticDir: o.staticDir }),
  async start({ core, access, log, listeners }, own) {
    const app = await createHttpServer(access, log, own.maxBytes, own.staticDir, own.idleMs);
    addQueryRoutes(app, core, listeners);
    addKserveRoutes(app, core);
    // One cap for the port: requests, the relay's pages and Socket.IO's clients on it.
    capConnections(app.server, own.maxConnections, 'http', log);
    // Upgrades are the relay's and Socket.IO's, each to its own path (claimUpgrades); any other is answered.
    const claims: ((req: IncomingMessage) => boolean)[] = [];
    answerUnclaimedUpgrades(app.server, claims, 'WebSockets at /runtime (the page) and /socket.io/ only');
    try {
      await app.listen({ host: own.host, port: own.port });
    } catch (err) {
      await app.close();
      throw err;
    }
    return {
      url: urlOf('http', own.host, (app.server.address() as AddressInfo).port),
      httpServer: app.server,
      claimUpgrades: (test) => { claims.push(test); },
      async close() {
        // A request that never completes (a body that never ends) must not hold the shutdown.
        const force = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
        try {
          await app.close();
        } finally {
          clearTimeout(force);
        }
      },
    };
  },
};
