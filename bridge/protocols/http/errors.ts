// How HTTP answers a failure: a status for each error code (web/contract/errors.ts), and the answers
// given before any route runs (a body too large, of the wrong type or not JSON; no such address).
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ErrorCode } from '../../../web/contract/index.ts';
import { BridgeError, toBridgeError } from '../../core/errors.ts';
import type { Log } from '../../log.ts';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400, not_found: 404, too_large: 413, unavailable: 503, busy: 503, timeout: 504, model_failed: 500,
  // HTTP queries are never live frames, so never dropped; were one, a newer request replaced it.
  dropped: 409,
};

/** The 415's words: what a query's body may be. */
export const UNSUPPORTED_TYPE = 'unsupported Content-Type: send application/json, or an image/* body';

export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const e = toBridgeError(err);
  if (e.retryAfterSeconds !== undefined) reply.header('Retry-After', String(e.retryAfterSeconds));
  return reply.status(STATUS[e.code]).send({ error: e.message });
}

/** Fastify's own failures and unknown addresses, answered as `{"error": …}` like every other error. */
export function answerErrors(app: FastifyInstance, maxBytes: number, log: Log): void {
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 413) return sendError(reply, new BridgeError('too_large', `the request body is over the limit of ${maxBytes} bytes (--max-body)`));
    if (status === 415) return reply.status(415).send({ error: `${UNSUPPORTED_TYPE} (${err.message})` });
    if (status === 400 && err.code?.startsWith('FST_ERR_CTP')) return reply.status(400).send({ error: `the body is not valid JSON: ${err.message}` });
    if (status >= 500) log.warn(`http: ${err.message}`);
    return reply.status(status).send({ error: err.message });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: `no such address: ${req.method} ${req.url.split('?')[0]}` }));
}
