// OSCQuery's HTTP side: `GET /path` answers the namespace node at that OSC path (the whole tree at `/`),
// `GET /path?ATTRIBUTE` one attribute of it, `GET /?HOST_INFO` the OSC server's port, transport and the
// extensions supported. Read-only: GET and HEAD (and CORS preflights); bodiless requests; errors as JSON.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { originRefusal, type Access } from '../../access.ts';
import { trimSlashes } from '../osc/numeric/options.ts';
import { httpTimeouts } from '../connections.ts';
import {
  findNode, NODE_ATTRIBUTES, UNSUPPORTED_ATTRIBUTES, type HostInfo, type NodeAttribute, type OscQueryNode,
} from './namespace.ts';

/** The longest request target: paths are OSC addresses, a few dozen characters. */
export const MAX_URL_LENGTH = 2048;
/** OSCQuery requests carry no body; anything larger than this is refused before it is read. */
export const MAX_BODY_BYTES = 1024;

export interface OscQuerySource {
  namespace(): OscQueryNode;
  hostInfo(): HostInfo;
}

/** `/models/echo/` → `/models/echo`; undefined for a path that does not decode. */
function oscPath(rawPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  return path.length > 1 ? trimSlashes(path) : '/';
}

export function createOscQueryServer(access: Access, source: OscQuerySource, idleMs: number): FastifyInstance {
  const { keepAliveTimeout, requestTimeout, ...http } = httpTimeouts(idleMs);
  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES, logger: false, forceCloseConnections: true, http, keepAliveTimeout, requestTimeout, connectionTimeout: 0,
  });
  const fail = (reply: FastifyReply, status: number, error: string) => reply.status(status).send({ error });

  app.addHook('onRequest', async (req, reply) => {
    if (req.url.length > MAX_URL_LENGTH) return fail(reply, 414, `the request target is ${req.url.length} characters, more than ${MAX_URL_LENGTH}`);
    if (!access.hostAllowed(req.headers.host)) {
      return fail(reply, 403, `Host "${req.headers.host}" is not allowed: use 127.0.0.1 or localhost (DNS rebinding protection)`);
    }
    const origin = req.headers.origin;
    if (!access.originAllowed(origin)) {
      // As on the HTTP port: the refused page can read why, and nothing else.
      return fail(reply.header('Access-Control-Allow-Origin', origin).header('Vary', 'Origin'), 403, originRefusal(origin!));
    }
    // An allowed browser page (a web OSCQuery client) may read the answers.
    if (origin !== undefined) reply.header('Access-Control-Allow-Origin', origin).header('Vary', 'Origin');
  });

  app.route({ method: ['GET', 'HEAD', 'OPTIONS'], url: '*', handler: (req, reply) => answer(req, reply) });
  app.setNotFoundHandler((req, reply) =>
    fail(reply.header('Allow', 'GET, HEAD, OPTIONS'), 405, `${req.method} is not served: OSCQuery is read with GET (GET / for the namespace, GET /?HOST_INFO)`));
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => fail(reply, err.statusCode ?? 500, err.message));

  function answer(req: FastifyRequest, reply: FastifyReply) {
    if (req.method === 'OPTIONS') {
      // A preflight from an allowed page (Private Network Access asks for its own header too).
      reply.header('Access-Control-Allow-Methods', 'GET, HEAD');
      if (req.headers['access-control-request-private-network'] === 'true') reply.header('Access-Control-Allow-Private-Network', 'true');
      return reply.status(204).send();
    }
    // The fragment never reaches a server; the query is one attribute name (`?HOST_INFO`, `?TYPE`).
    const [rawPath = '/', query] = req.url.split('?', 2) as [string, string | undefined];
    const attribute = query?.split('=')[0];
    // HOST_INFO ignores the path.
    if (attribute === 'HOST_INFO') return reply.send(source.hostInfo());
    const path = oscPath(rawPath);
    if (path === undefined) return fail(reply, 400, `the path ${rawPath} does not decode`);
    if (query !== undefined && query.includes('&')) return fail(reply, 400, `ask for one attribute at a time (got "${query}")`);
    const node = findNode(source.namespace(), path);
    if (!node) return fail(reply, 404, `no OSC node at ${path}`);
    if (attribute === undefined || attribute === '') return reply.send(node);
    if ((NODE_ATTRIBUTES as readonly string[]).includes(attribute)) {
      const value = node[attribute as NodeAttribute];
      // The proposal answers an attribute the node does not have with an empty object.
      return reply.send(value === undefined ? {} : { [attribute]: value });
    }
    // The proposal's 204: an attribute it defines that this server does not give.
    if ((UNSUPPORTED_ATTRIBUTES as readonly string[]).includes(attribute)) return reply.status(204).send();
    return fail(reply, 400, `unknown attribute "${attribute}": use ${[...NODE_ATTRIBUTES, 'HOST_INFO'].join(', ')}`);
  }
  return app;
}
