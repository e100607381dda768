// A model's Runway-shaped ports (web/contract/models.ts) as KServe v2 tensors, both ways: an image or a
// WAV file is a BYTES tensor of shape [1] holding the encoded file, text a BYTES string, a number FP64
// [1], a vector FP64 [n], a boolean BOOL [1], a `tensor` port (a dropped .onnx) the network's own
// datatype and shape, and anything structured a BYTES tensor holding JSON.
import type { ModelInfo, Port, Values } from '../../../web/contract/index.ts';
import { BridgeError } from '../../core/errors.ts';
import { toJson } from '../../core/values.ts';
import { DATATYPES, datatypeOf, isNumeric, onnxType, type Element, type TensorData } from './tensors.ts';

/** `$metadata_tensor`: variable dimensions are -1. */
export interface MetadataTensor { name: string; datatype: string; shape: number[] }

/** How a port travels as a tensor. */
export function portTensor(port: Port): MetadataTensor {
  const { name } = port;
  switch (port.type) {
    case 'number': return { name, datatype: 'FP64', shape: [1] };
    case 'boolean': return { name, datatype: 'BOOL', shape: [1] };
    case 'vector': return { name, datatype: 'FP64', shape: [typeof port.length === 'number' ? port.length : -1] };
    case 'tensor': return {
      name, datatype: datatypeOf(typeof port.dtype === 'string' ? port.dtype : undefined),
      shape: Array.isArray(port.dims) ? port.dims.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) : [-1],
    };
    // image, audio (a WAV file), text, category, and JSON for whatever is structured.
    default: return { name, datatype: 'BYTES', shape: [1] };
  }
}

/** Whether a port's value is carried as JSON text inside its BYTES tensor. */
const carriesJson = (port: Port) => !['image', 'audio', 'text', 'category', 'number', 'boolean', 'vector', 'tensor'].includes(port.type);

const utf8 = new TextDecoder('utf-8', { fatal: false });
const text = (e: Element) => (e instanceof Uint8Array ? utf8.decode(e) : String(e));

function single(port: Port, t: TensorData): Element {
  if (t.data.length !== 1) {
    const want = portTensor(port);
    throw new BridgeError('bad_request', `input "${port.name}": expected one element (${want.datatype} [1]), got shape [${t.shape.join(', ')}]`);
  }
  return t.data[0]!;
}

function wrongType(port: Port, t: TensorData, why: string): BridgeError {
  const want = portTensor(port);
  return new BridgeError('bad_request', `input "${port.name}" is ${why}: send ${want.datatype} [${want.shape.join(', ')}], got ${t.datatype}`);
}

/** A request's input tensor → the value the core checks against the port (validate.ts names what is wrong). */
export function inputValue(port: Port, t: TensorData): unknown {
  switch (port.type) {
    case 'image':
    case 'audio': {
      // Audio may also come as PCM samples.
      if (port.type === 'audio' && isNumeric(t.datatype)) return t.data.map(Number);
      if (t.datatype !== 'BYTES') throw wrongType(port, t, port.type === 'image' ? 'an encoded image (JPEG, PNG…)' : 'a WAV file or PCM samples');
      // Bytes as they came; a JSON string is a data URI or base64 (the core decodes both).
      return single(port, t);
    }
    case 'text':
    case 'category':
      if (t.datatype !== 'BYTES') throw wrongType(port, t, 'text');
      return text(single(port, t));
    case 'number':
      if (!isNumeric(t.datatype)) throw wrongType(port, t, 'a number');
      return Number(single(port, t));
    case 'boolean':
      if (t.datatype !== 'BOOL') throw wrongType(port, t, 'a boolean');
      return Boolean(single(port, t));
    case 'vector':
      if (!isNumeric(t.datatype)) throw wrongType(port, t, 'a vector of numbers');
      return t.data.map(Number);
    case 'tensor':
      // The generic tensor adapter's JSON form (web/runtime/engines/tensor.ts).
      return { dtype: onnxType(t.datatype), dims: t.shape, data: t.datatype === 'BYTES' ? t.data.map(text) : t.data };
    default: {
      if (t.datatype !== 'BYTES') throw wrongType(port, t, 'JSON text');
      const json = text(single(port, t));
      try {
        return JSON.parse(json);
      } catch (err) {
        throw new BridgeError('bad_request', `input "${port.name}" is not valid JSON: ${(err as Error).message}`);
      }
    }
  }
}

/** `$response_output` before it is written as JSON or binary. */
export interface OutputTensor extends TensorData { name: string }

interface TensorJson { dtype: string; dims: number[]; data: unknown[] }
const isTensorJson = (v: unknown): v is TensorJson =>
  !!v && typeof v === 'object' && Array.isArray((v as TensorJson).dims) && Array.isArray((v as TensorJson).data) && typeof (v as TensorJson).dtype === 'string';

/** One output value as a tensor: by its port's type where the value is of that type, else as JSON text. */
export function outputTensor(name: string, port: Port | undefined, value: unknown): OutputTensor {
  const type = port?.type;
  if (value instanceof Uint8Array) return { name, datatype: 'BYTES', shape: [1], data: [value] };
  if (type === 'tensor' && isTensorJson(value)) {
    const datatype = datatypeOf(value.dtype);
    // FP16 and BF16 have no layout here (tensors.ts): such an output travels as JSON text.
    if (DATATYPES.includes(datatype)) return { name, datatype, shape: value.dims, data: value.data as Element[] };
  }
  if (port && !carriesJson(port)) {
    if (typeof value === 'number') return { name, datatype: 'FP64', shape: [1], data: [value] };
    if (typeof value === 'boolean') return { name, datatype: 'BOOL', shape: [1], data: [value] };
    if (typeof value === 'string') return { name, datatype: 'BYTES', shape: [1], data: [value] };
    if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return { name, datatype: 'FP64', shape: [value.length], data: value };
  }
  // Images inside a structure are data URIs, as in every JSON answer (bridge/core/values.ts).
  return { name, datatype: 'BYTES', shape: [1], data: [JSON.stringify(toJson({ v: value }).v ?? null)] };
}

/** The model's outputs as tensors, in the order its info declares them (undeclared ones after). */
export function outputTensors(info: ModelInfo, outputs: Values): OutputTensor[] {
  const declared = info.outputs.filter((p) => p.name in outputs);
  const names = [...declared.map((p) => p.name), ...Object.keys(outputs).filter((n) => !info.outputs.some((p) => p.name === n))];
  return names.map((n) => outputTensor(n, info.outputs.find((p) => p.name === n), outputs[n]));
}
