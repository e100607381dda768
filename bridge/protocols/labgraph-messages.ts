// LabGraph's WebSocket API messages (its wiki's "WebSockets API" and its ws_client/ws_server code):
// the envelope checks and the replies, apart from any socket so they can be tested alone.
import { Ajv } from 'ajv';

export const API_VERSION = '0.1';

/** LabGraph's own error codes (docs/websockets-api-errors.md). */
export type LabGraphErrorCode = 'InvalidMessageFormat' | 'MessageNotSupported' | 'StreamIDNotFound' | 'StreamIDAlreadyExists'
  | 'NotTrained' | 'StreamAlreadyRequested' | 'NonExistentStream';

export type StreamKind = 'query' | 'data' | 'error';

export type Incoming =
  | { type: 'start'; requestId: unknown; streamId: string; streamName: string; appId?: string }
  | { type: 'end'; requestId: unknown; streamId: string }
  | { type: 'batch'; streamId: string; streamName?: string; samples: unknown[] };

export class LabGraphError extends Error {
  constructor(readonly code: LabGraphErrorCode, message: string, readonly requestId: unknown = null) {
    super(message);
  }
}

const ajv = new Ajv({ allErrors: false, strict: false });
const envelope = ajv.compile({
  type: 'object',
  required: ['api_version'],
  properties: {
    api_version: { anyOf: [{ const: '0.1' }, { const: 0.1 }] },
    api_request: {
      type: 'object', required: ['request_id'],
      properties: {
        start_stream_request: { type: 'object', required: ['stream_id'], properties: { stream_id: { type: 'string', minLength: 1 }, app_id: { type: 'string' } } },
        end_stream_request: { type: 'object', required: ['stream_id'], properties: { stream_id: { type: 'string', minLength: 1 } } },
      },
    },
    stream_batch: { type: 'object', required: ['stream_id'], properties: { stream_id: { type: 'string', minLength: 1 } } },
  },
});

/** Reads one message; throws LabGraphError naming what is wrong with it. */
export function parseMessage(text: string): Incoming {
  let msg: Record<string, unknown>;
  try {
    msg = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new LabGraphError('InvalidMessageFormat', `the message is not JSON: ${(err as Error).message}`);
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) throw new LabGraphError('InvalidMessageFormat', 'the message must be a JSON object');
  const request = msg.api_request as Record<string, unknown> | undefined;
  const requestId = request && typeof request === 'object' ? request.request_id ?? null : null;
  if (msg.api_version !== undefined && msg.api_version !== '0.1' && msg.api_version !== 0.1) {
    throw new LabGraphError('MessageNotSupported', `api_version ${JSON.stringify(msg.api_version)} is not supported: use "${API_VERSION}"`, requestId);
  }
  if (!envelope(msg)) {
    const e = envelope.errors?.[0];
    throw new LabGraphError('InvalidMessageFormat', `${e?.instancePath || 'the message'} ${e?.message ?? 'is not valid'}`, requestId);
  }
  if (request) {
    const start = request.start_stream_request as Record<string, unknown> | undefined;
    const end = request.end_stream_request as Record<string, unknown> | undefined;
    if (start) {
      // The stream's name is the one key besides stream_id and app_id: {"stream_id": …, "<name>": {}}.
      const names = Object.keys(start).filter((k) => k !== 'stream_id' && k !== 'app_id');
      if (names.length !== 1) {
        throw new LabGraphError('InvalidMessageFormat', `start_stream_request must name exactly one stream (a key besides stream_id and app_id), not ${names.length}`, requestId);
      }
      return { type: 'start', requestId, streamId: start.stream_id as string, streamName: names[0]!, appId: start.app_id as string | undefined };
    }
    if (end) return { type: 'end', requestId, streamId: end.stream_id as string };
    throw new LabGraphError('MessageNotSupported', `api_request holds neither start_stream_request nor end_stream_request (keys: ${Object.keys(request).join(', ')})`, requestId);
  }
  const batch = msg.stream_batch as Record<string, unknown> | undefined;
  if (batch) {
    const names = Object.keys(batch).filter((k) => k !== 'stream_id');
    const body = (names.length === 1 ? batch[names[0]!] : batch) as Record<string, unknown> | undefined;
    const samples = body && typeof body === 'object' ? body.samples : undefined;
    if (!Array.isArray(samples)) {
      throw new LabGraphError('InvalidMessageFormat', 'stream_batch must hold {"<stream name>": {"samples": [...], "batch_num": n}}');
    }
    return { type: 'batch', streamId: batch.stream_id as string, streamName: names.length === 1 ? names[0] : undefined, samples };
  }
  throw new LabGraphError('MessageNotSupported', `the message holds neither api_request nor stream_batch (keys: ${Object.keys(msg).join(', ')})`);
}

/** "<model>/query" → the model and the stream kind; undefined for any other name. */
export function parseStreamName(name: string): { model: string; kind: StreamKind } | undefined {
  const m = /^(.+)\/(query|data|error)$/.exec(name);
  return m ? { model: m[1]!, kind: m[2] as StreamKind } : undefined;
}

const event = (requestId: unknown, body: Record<string, unknown>) => ({ api_version: API_VERSION, api_event: { request_id: requestId, ...body } });

export const startStreamEvent = (requestId: unknown, streamId: string) => event(requestId, { start_stream_event: { stream_id: streamId } });
export const endStreamEvent = (requestId: unknown, streamId: string) => event(requestId, { end_stream_event: { stream_id: streamId } });
export const errorEvent = (requestId: unknown, code: LabGraphErrorCode, desc: string) => event(requestId, { error_event: { error_code: code, desc } });

/** A sample as LabGraph's own server makes them: the data and when it was produced and sent. */
export function sample(data: unknown, producedMs: number): Record<string, unknown> {
  return { data, produced_timestamp_s: producedMs / 1000, timestamp_s: Date.now() / 1000 };
}

export function streamBatch(streamId: string, streamName: string, samples: unknown[], batchNum: number) {
  return { api_version: API_VERSION, stream_batch: { stream_id: streamId, [streamName]: { samples, batch_num: batchNum } } };
}

/** The model's inputs in a sample: LabGraph's `{data, …timestamps}` form, or the inputs themselves. */
export function sampleInputs(s: unknown): unknown {
  if (s && typeof s === 'object' && !Array.isArray(s) && 'data' in s && ('produced_timestamp_s' in s || 'timestamp_s' in s || Object.keys(s).length === 1)) {
    return (s as { data: unknown }).data;
  }
  return s;
}
