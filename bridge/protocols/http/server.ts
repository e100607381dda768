// The HTTP server before its routes: the body limit, who may ask (Host, Origin, Private Network Access, CORS),
// the page's files and the error answers. The query routes are routes.ts.
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyCors from '@fastify/cors';
import { originRefusal, sameOrigin, type Access } from '../../access.ts';
import type { Log } from '../../log.ts';
import { servePageFiles } from './page-files.ts';
import { answerErrors } from './errors.ts';
import { httpTimeouts } from '../connections.ts';

export async function createHttpServer(access: Access, log: Log, maxBytes: number, staticDir: string, idleMs: number): Promise<FastifyInstance> {
  const { keepAliveTimeout, requestTimeout, ...http } = httpTimeouts(idleMs);
  // Closing ends idle keep-alive connections at once and lets requests in progress be answered (the core
  // answers them 503 while the bridge shuts down); index.ts ends whatever is left after a grace period.
  // Idle connections are Node's timers' (connections.ts); no socket timeout, which would cut a request
  // waiting on its model.
  const app = Fastify({
    bodyLimit: maxBytes, logger: false, forceCloseConnections: 'idle', http, keepAliveTimeout, requestTimeout, connectionTimeout: 0,
  });
  // A callback hook, not an async one: no promise per request on a path every request takes.
  app.addHook('onRequest', (req, reply, done) => {
    if (!access.hostAllowed(req.headers.host)) {
      reply.status(403).send({ error: `Host "${req.headers.host}" is not allowed: use 127.0.0.1 or localhost (DNS rebinding protection)` });
      return;
    }
    const { origin } = req.headers;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    // A refused page reaches no route; its answer is readable by it (CORS for its origin) and says only why.
    // Its preflights still fail (no CORS headers): the browser sends nothing more than a simple request.
    // The bridge's own page opened from another machine asks for its own files (module scripts carry Origin).
    if (!access.originAllowed(origin) && !sameOrigin(origin, req.headers.host) && !preflight) {
      reply.status(403).header('Access-Control-Allow-Origin', origin).header('Vary', 'Origin')
        .send({ error: originRefusal(origin!) });
      return;
    }
    // Private Network Access: a public page must be told explicitly that it may reach localhost.
    if (req.method === 'OPTIONS' && req.headers['access-control-request-private-network'] === 'true' && access.originAllowed(origin)) {
      reply.header('Access-Control-Allow-Private-Network', 'true');
    }
    done();
  });
  await app.register(fastifyCors, {
    origin: (origin, cb) => cb(null, access.originAllowed(origin)),
    methods: ['GET', 'POST', 'OPTIONS'],
  });
  await servePageFiles(app, staticDir);
  answerErrors(app, maxBytes, log);
  return app;
}
