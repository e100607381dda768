// JSON Schemas of what a page sends, so that the bridge checks every page message on arrival as it
// checks every external protocol (bridge/relay/checks.ts compiles them). Plain data: no validator here.
import type { PageMessage } from './messages.ts';

/** JSON Schema has no type for byte arrays: `{ "bytes": true }` is a Uint8Array; the validator adds the keyword. */
export const BYTES_KEYWORD = 'bytes';

const text = { type: 'string' };
const values = { type: 'object' };
const port = { type: 'object', required: ['name', 'type'], properties: { name: text, type: text, description: text } };
const info = {
  type: 'object', required: ['inputs', 'outputs'],
  properties: { inputs: { type: 'array', items: port }, outputs: { type: 'array', items: port } },
};
const announcement = {
  type: 'object', required: ['id', 'title', 'info', 'state'],
  properties: {
    id: { type: 'string', minLength: 1 }, title: text, description: text, license: text, info,
    backend: { enum: ['webgpu', 'wasm'] }, fallbackReason: text,
    state: { enum: ['loading', 'ready', 'failed', 'unloaded'] }, error: text, size: { type: 'number', minimum: 0 },
  },
};
const sessionReport = {
  type: 'object', required: ['sessionId', 'status'],
  properties: { sessionId: { type: 'number' }, status: { enum: ['running', 'finished', 'failed', 'stopped'] } },
};

/** One schema per page message type. */
export const PAGE_MESSAGE_SCHEMAS: Record<PageMessage['type'], object> = {
  models: { type: 'object', required: ['models'], properties: { models: { type: 'array', items: announcement } } },
  result: {
    type: 'object', required: ['id'],
    properties: {
      id: { type: 'integer', minimum: 0 }, outputs: values, annotated: { [BYTES_KEYWORD]: true },
      // A code this bridge does not know counts as model_failed.
      error: { type: 'object', required: ['code', 'message'], properties: { code: text, message: text } },
    },
  },
  output: { type: 'object', required: ['model', 'outputs'], properties: { model: { type: 'string', minLength: 1 }, outputs: values, source: text } },
  query: {
    type: 'object', required: ['id', 'session', 'model', 'inputs'],
    properties: { id: { type: 'integer', minimum: 0 }, session: { type: 'integer', minimum: 0 }, model: { type: 'string', minLength: 1 }, inputs: values },
  },
  event: {
    type: 'object', required: ['kind', 'payload'],
    properties: { kind: { enum: ['program.ended'] }, payload: sessionReport },
  },
};
