// Runway's HTTP API (POST /query, GET /data, /error, /info), the multi-model API under /models/<id>,
// and /health. Translation only: every decision is the core's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BridgeCore } from '../../core/core.ts';
import { BridgeError } from '../../core/errors.ts';
import { imageOutput, sniffImage, toJson } from '../../core/values.ts';
import { wantsImage } from './image-answer.ts';
import { clientGone } from './client-gone.ts';
import type { Values } from '../../../web/contract/index.ts';
import { UNSUPPORTED_TYPE, sendError } from './errors.ts';

interface ModelParams { id: string }

/** `listeners`: every listener's address by name, for /health. */
export function addQueryRoutes(app: FastifyInstance, core: BridgeCore, listeners: Readonly<Record<string, string>>): void {
  // JSON or an image, nothing else: anything else is a 415 (docs/protocols.md).
  app.removeContentTypeParser('text/plain');
  // An image body is the model's image input as it is: no base64 on the way in.
  app.addContentTypeParser(/^image\//, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const query = async (id: string | undefined, req: FastifyRequest, reply: FastifyReply) => {
    // A bodiless POST (what any web page may send with no preflight, `mode: 'no-cors'`) is no query:
    // refused like any other type the route cannot take, before the core sees it.
    if (req.headers['content-type'] === undefined) return reply.status(415).send({ error: UNSUPPORTED_TYPE });
    const body = req.body;
    // One HTTP connection is one client for the per-client queue cap.
    const client = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    try {
      let inputs = body;
      if (Buffer.isBuffer(body)) {
        const port = core.model(id).info.inputs.find((p) => p.type === 'image');
        if (!port) throw new BridgeError('bad_request', `"${core.model(id).id}" takes no image input; send a JSON body`);
        inputs = { [port.name]: body };
      }
      // A client that asks for the image gets it as the body; a model without one is told before it runs.
      const asImage = wantsImage((req.query as { format?: unknown }).format, req.headers.accept);
      let imagePorts: string[] = [];
      if (asImage) {
        const model = core.model(id);
        imagePorts = model.info.outputs.filter((p) => p.type === 'image').map((p) => p.name);
        if (!imagePorts.length) return reply.status(406).send({ error: `"${model.id}" gives no image output: ask for JSON (no ?format, an Accept of application/json)` });
      }
      const outputs = await core.query(id, inputs, { source: 'http', client, signal: clientGone(reply) });
      const image = asImage ? imageOutput(outputs, imagePorts) : undefined;
      if (image) return reply.type(sniffImage(image) ?? 'application/octet-stream').send(Buffer.from(image.buffer, image.byteOffset, image.byteLength));
      return toJson(outputs);
    } catch (err) {
      return sendError(reply, err);
    }
  };
  const data = (id: string | undefined, reply: FastifyReply): Values | FastifyReply => {
    try { return toJson(core.lastOutput(id)); } catch (err) { return sendError(reply, err); }
  };
  const error = (id: string | undefined, reply: FastifyReply) => {
    try { return { error: core.lastError(id) }; } catch (err) { return sendError(reply, err); }
  };
  // A model's info is one object until its page announces another: its JSON is written once, not per request.
  const infoJson = new WeakMap<object, string>();
  const info = (id: string | undefined, reply: FastifyReply) => {
    try {
      const { info } = core.model(id);
      let json = infoJson.get(info);
      if (json === undefined) infoJson.set(info, (json = JSON.stringify(info)));
      return reply.type('application/json; charset=utf-8').send(json);
    } catch (err) {
      return sendError(reply, err);
    }
  };

  app.post('/query', (req, reply) => query(undefined, req, reply));
  app.get('/data', (_req, reply) => data(undefined, reply));
  app.get('/error', (_req, reply) => error(undefined, reply));
  app.get('/info', (_req, reply) => info(undefined, reply));

  app.get('/models', () => ({ default: core.defaultModel ?? null, models: core.models() }));
  app.post<{ Params: ModelParams }>('/models/:id/query', (req, reply) => query(req.params.id, req, reply));
  app.get<{ Params: ModelParams }>('/models/:id/data', (req, reply) => data(req.params.id, reply));
  app.get<{ Params: ModelParams }>('/models/:id/error', (req, reply) => error(req.params.id, reply));
  app.get<{ Params: ModelParams }>('/models/:id/info', (req, reply) => info(req.params.id, reply));

  app.get('/health', () => {
    const dropped = core.droppedFrames();
    // `dropped`: live frames (Socket.IO, OSC, LabGraph) dropped for newer ones from the same client.
    const models = core.models().map((m) => ({ id: m.id, state: m.state, backend: m.backend ?? null, pages: m.pages, dropped: dropped[m.id] ?? 0 }));
    const { rss, heapUsed } = process.memoryUsage();
    return {
      status: models.some((m) => m.state === 'ready') ? 'ok' : 'waiting', pages: core.pageCount, models, listeners,
      // Each page: its id, models, backend and load; `retried`: queries run again because their page left.
      pageList: core.pageSummaries(), retried: core.retries,
      clients: core.clientCounts(),
      // Queries given up on (timed out, client gone) and what their pages did with the cancel.
      cancelled: core.cancellations(),
      memory: { rssBytes: rss, heapUsedBytes: heapUsed },
    };
  });
}
