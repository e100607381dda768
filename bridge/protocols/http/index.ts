// The HTTP listener (--http-port): the page and its models, Runway's HTTP API, KServe v2 under /v2
// (bridge/protocols/kserve/) and /health. Its server also carries the relay (bridge/relay/server.ts)
// and Socket.IO (bridge/protocols/socketio.ts).
import type { AddressInfo } from 'node:net';
import type { HttpOffer, ListenerModule, PortOptions } from '../../listener-module.ts';
import { urlOf } from '../../listener.ts';
import { createHttpServer } from './server.ts';
import { addQueryRoutes } from './routes.ts';
import { addKserveRoutes } from '../kserve/index.ts';

/** How long requests in progress get to be answered when the bridge shuts down. */
const CLOSE_GRACE_MS = 2000;

export interface HttpOptions extends PortOptions {
  /** The built page to serve (--static-dir). */
  staticDir: string;
}

export const httpListener: ListenerModule<HttpOptions, object, HttpOffer> = {
  name: 'http',
  portFlag: '--http-port',
  ownOptions: (o) => ({ host: o.host, port: o.httpPort, maxBytes: o.maxBody, staticDir: o.staticDir }),
  async start({ core, access, log, listeners }, own) {
    const app = await createHttpServer(access, log, own.maxBytes, own.staticDir);
    addQueryRoutes(app, core, listeners);
    addKserveRoutes(app, core);
    try {
      await app.listen({ host: own.host, port: own.port });
    } catch (err) {
      await app.close();
      throw err;
    }
    return {
      url: urlOf('http', own.host, (app.server.address() as AddressInfo).port),
      httpServer: app.server,
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
