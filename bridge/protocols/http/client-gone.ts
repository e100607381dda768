// An HTTP request's query given up when its client goes: POST /query and KServe's infer alike.
import type { FastifyReply } from 'fastify';

/** Aborts when the client closes its connection before its answer is written: the core then gives the
 *  query up and its page drops it. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => { if (!reply.raw.writableFinished) gone.abort(); });
  return gone.signal;
}
