// KServe v2 REST, the Open Inference Protocol (Triton, KServe, MLServer, OpenVINO Model Server), under /v2
// on the HTTP listener's port: health, server and model metadata, and inference in JSON or with the binary
// tensor data extension. Translation only: every query goes through the core like POST /query.
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BridgeCore, ModelView } from '../../core/core.ts';
import { BridgeError } from '../../core/errors.ts';
import type { Values } from '../../../web/contract/index.ts';
import { clientGone } from '../http/client-gone.ts';
import { sendError } from '../http/errors.ts';
import { binaryOutputs, buildResponse, HEADER_LENGTH, parseRequest } from './body.ts';
import { inputValue, outputTensors, portTensor } from './mapping.ts';

/** Models here have one version; `/versions/1/…` names it. */
const VERSION = '1';
const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
const SERVER = { name: 'pagebridge', version, extensions: ['binary_tensor_data'] };

interface ModelParams { id: string; version?: string }

/** Adds the /v2 routes to the HTTP listener's server (bridge/protocols/http/index.ts). */
export function addKserveRoutes(app: FastifyInstance, core: BridgeCore): void {
  // In a context of its own: the raw body, JSON or binary, is this protocol's to read, and no other route
  // takes an octet-stream body.
  void app.register(async (v2) => {
    v2.removeAllContentTypeParsers();
    v2.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    routes(v2, core);
  }, { prefix: '/v2' });
}

/** The model and version a path names, or a `not_found` error. */
function modelOf(core: BridgeCore, { id, version }: ModelParams): ModelView {
  const model = core.model(id);
  if (version !== undefined && version !== VERSION) {
    throw new BridgeError('not_found', `no version "${version}" of model "${model.id}" (versions: ${VERSION})`);
  }
  return model;
}

function routes(app: FastifyInstance, core: BridgeCore): void {
  // Health: 200 for true, a 4xx for false (the protocol's rule), with a body that says which.
  app.get('/health/live', () => ({ live: true }));
  app.get('/health/ready', (_req, reply) => {
    const ready = isReady(core);
    return reply.status(ready ? 200 : 400).send({ ready });
  });
  // GET /v2 and /v2/ (a prefix's '/' is both).
  app.get('/', () => SERVER);

  const metadata = (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    try {
      const model = modelOf(core, req.params);
      return {
        name: model.id, versions: [VERSION], platform: platformOf(model),
        inputs: model.info.inputs.map(portTensor), outputs: model.info.outputs.map(portTensor),
      };
    } catch (err) { return sendError(reply, err); }
  };
  const ready = (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    try {
      const model = modelOf(core, req.params);
      const isReady = model.state === 'ready';
      return reply.status(isReady ? 200 : 400).send({ name: model.id, ready: isReady });
    } catch (err) { return sendError(reply, err); }
  };
  for (const at of ['/models/:id', '/models/:id/versions/:version']) {
    app.get<{ Params: ModelParams }>(at, metadata);
    app.get<{ Params: ModelParams }>(`${at}/ready`, ready);
    app.post<{ Params: ModelParams }>(`${at}/infer`, (req, reply) => infer(core, req, reply));
  }
}

/** Ready: some page has the default model ready (the same "ok" as /health). */
function isReady(core: BridgeCore): boolean {
  try {
    return core.model().state === 'ready';
  } catch {
    return false;
  }
}

/** A dropped .onnx is a bare network; the catalogue's models are pipelines around theirs. */
const platformOf = (model: ModelView) =>
  model.info.inputs.length > 0 && model.info.inputs.every((p) => p.type === 'tensor') ? 'onnxruntime_onnx' : 'pagebridge';

async function infer(core: BridgeCore, req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply): Promise<unknown> {
  try {
    const headerLength = req.headers[HEADER_LENGTH];
    const type = req.headers['content-type'];
    // A body is JSON, or JSON and binary data after it (then Inference-Header-Content-Length says where
    // the JSON ends, whatever the Content-Type; Triton's clients send none).
    if (typeof headerLength !== 'string' && !(type && /^application\/json\b/i.test(type))) {
      return reply.status(415).send({ error: `unsupported Content-Type${type ? ` "${type}"` : ' (none given)'}: send application/json, or the JSON and binary tensor data with an Inference-Header-Content-Length header` });
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const model = modelOf(core, req.params);
    const { request, inputs } = parseRequest(body, typeof headerLength === 'string' ? headerLength : undefined);

    const values: Values = {};
    for (const [name, tensor] of inputs) {
      const port = model.info.inputs.find((p) => p.name === name);
      if (!port) throw new BridgeError('bad_request', `model "${model.id}" has no input "${name}" (inputs: ${model.info.inputs.map((p) => p.name).join(', ') || 'none'})`);
      values[name] = inputValue(port, tensor);
    }
    const asked = request.outputs?.map((o) => o.name);
    for (const name of asked ?? []) {
      if (!model.info.outputs.some((p) => p.name === name)) {
        throw new BridgeError('bad_request', `model "${model.id}" has no output "${name}" (outputs: ${model.info.outputs.map((p) => p.name).join(', ') || 'none'})`);
      }
    }

    // One HTTP connection is one client for the per-client queue cap, as for POST /query.
    const client = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const outputs = await core.query(model.id, values, { source: 'kserve', client, signal: clientGone(reply) });

    const tensors = outputTensors(model.info, outputs).filter((t) => !asked || asked.includes(t.name));
    const response = buildResponse({ model_name: model.id, model_version: VERSION, ...(request.id !== undefined && { id: request.id }) },
      tensors, binaryOutputs(request, tensors.map((t) => t.name)));
    // A browser page may read where the JSON ends.
    if (response.headers[HEADER_LENGTH]) reply.header('Access-Control-Expose-Headers', 'Inference-Header-Content-Length');
    return reply.headers(response.headers).send(response.body);
  } catch (err) {
    return sendError(reply, err);
  }
}
