// An inference request's body and an inference response's: the JSON object alone, or (the binary tensor
// data extension) the JSON object, `Inference-Header-Content-Length` bytes long, followed by the binary
// data of each tensor that has a `binary_data_size` parameter, in the order the tensors are listed.
import { Ajv } from 'ajv';
import { BridgeError } from '../../core/errors.ts';
import type { OutputTensor } from './mapping.ts';
import { checkDatatype, fromBinary, fromJsonData, toBinary, type TensorData } from './tensors.ts';

export const HEADER_LENGTH = 'inference-header-content-length';

type Parameters = Record<string, string | number | boolean>;

export interface InferenceRequest {
  id?: string;
  parameters?: Parameters;
  inputs: { name: string; shape: number[]; datatype: string; parameters?: Parameters; data?: unknown }[];
  outputs?: { name: string; parameters?: Parameters }[];
}

const parameters = { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } };
// $inference_request, as docs/protocols.md#kserve-v2-open-inference-protocol describes it.
const validate = new Ajv({ allErrors: false, allowUnionTypes: true }).compile<InferenceRequest>({
  type: 'object', required: ['inputs'],
  properties: {
    id: { type: 'string' },
    parameters,
    inputs: {
      type: 'array',
      items: {
        type: 'object', required: ['name', 'shape', 'datatype'],
        properties: {
          name: { type: 'string' }, datatype: { type: 'string' }, parameters,
          shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
        },
      },
    },
    outputs: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, parameters } } },
  },
});

export interface ParsedRequest { request: InferenceRequest; inputs: Map<string, TensorData> }

/** The body → the request object and each input's data, decoded and checked against its shape. */
export function parseRequest(body: Buffer, headerLength: string | undefined): ParsedRequest {
  let jsonLength = body.byteLength;
  if (headerLength !== undefined) {
    jsonLength = Number(headerLength);
    if (!/^\d+$/.test(headerLength.trim()) || jsonLength > body.byteLength) {
      throw new BridgeError('bad_request', `Inference-Header-Content-Length "${headerLength}" is not a length within the body's ${body.byteLength} bytes`);
    }
  }
  let request: unknown;
  try {
    request = JSON.parse(body.subarray(0, jsonLength).toString('utf8'));
  } catch (err) {
    throw new BridgeError('bad_request', `the inference request is not valid JSON: ${(err as Error).message}`);
  }
  if (!validate(request)) {
    const e = validate.errors?.[0];
    throw new BridgeError('bad_request', `not an inference request: ${e?.instancePath || 'the body'} ${e?.message ?? 'is not valid'}`);
  }
  const inputs = new Map<string, TensorData>();
  let at = jsonLength;
  for (const input of request.inputs) {
    const { name, datatype, shape } = input;
    if (inputs.has(name)) throw new BridgeError('bad_request', `input "${name}" is given twice`);
    checkDatatype(name, datatype);
    const size = input.parameters?.binary_data_size;
    let data;
    if (size !== undefined) {
      if (input.data !== undefined) throw new BridgeError('bad_request', `input "${name}" has both "data" and a binary_data_size`);
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || at + size > body.byteLength) {
        throw new BridgeError('bad_request', `input "${name}": binary_data_size ${JSON.stringify(size)} is not a length within the ${body.byteLength - at} binary bytes left`);
      }
      data = fromBinary(name, datatype, shape, body.subarray(at, at + size));
      at += size;
    } else {
      if (input.data === undefined) throw new BridgeError('bad_request', `input "${name}" has no "data" and no binary_data_size`);
      data = fromJsonData(name, datatype, shape, input.data);
    }
    inputs.set(name, { datatype, shape, data });
  }
  if (at !== body.byteLength) {
    throw new BridgeError('bad_request', `${body.byteLength - at} bytes after the JSON object belong to no input's binary_data_size`);
  }
  return { request, inputs };
}

/** The outputs asked for as binary data: by their own `binary_data`, else the request's `binary_data_output`. */
export function binaryOutputs(request: InferenceRequest, names: readonly string[]): Set<string> {
  const all = request.parameters?.binary_data_output === true;
  const asked = new Map(request.outputs?.map((o) => [o.name, o.parameters?.binary_data]));
  return new Set(names.filter((n) => {
    const own = asked.get(n);
    return own === undefined ? all : own === true;
  }));
}

export interface InferenceResponse { headers: Record<string, string>; body: Buffer | object }

/** `$inference_response`: each output as JSON data or, when asked, as binary data after the JSON. */
export function buildResponse(head: { model_name: string; model_version: string; id?: string }, outputs: OutputTensor[], binary: Set<string>): InferenceResponse {
  const chunks: Uint8Array[] = [];
  const json = outputs.map(({ name, datatype, shape, data }) => {
    if (binary.has(name)) {
      const bytes = toBinary(datatype, data);
      chunks.push(bytes);
      return { name, datatype, shape, parameters: { binary_data_size: bytes.byteLength } };
    }
    // Raw bytes in JSON are base64, marked as MLServer marks them.
    if (data.some((d) => d instanceof Uint8Array)) {
      return { name, datatype, shape, parameters: { content_type: 'base64' },
        data: data.map((d) => Buffer.from(d instanceof Uint8Array ? d : new TextEncoder().encode(String(d))).toString('base64')) };
    }
    return { name, datatype, shape, data };
  });
  const response = { ...head, outputs: json };
  if (!chunks.length) return { headers: { 'content-type': 'application/json; charset=utf-8' }, body: response };
  const header = Buffer.from(JSON.stringify(response));
  return {
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.byteLength) },
    body: Buffer.concat([header, ...chunks]),
  };
}
