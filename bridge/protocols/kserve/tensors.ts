// KServe v2 tensors: the protocol's datatypes and onnxruntime's names for them, and tensor data as JSON
// (nested or flat lists) and as the binary tensor data extension lays it out (little-endian, row-major,
// BOOL one byte, BYTES a u32 length before each element).
import { BridgeError } from '../../core/errors.ts';

/** One element of a tensor: a number, a boolean, or (BYTES) a string or raw bytes. */
export type Element = number | boolean | string | Uint8Array;

/** A tensor's data decoded, whichever form it came in. */
export interface TensorData {
  datatype: string;
  shape: number[];
  data: Element[];
}

interface Fixed {
  bytes: number;
  read(view: DataView, at: number): number | boolean;
  write(view: DataView, at: number, value: Element): void;
}

const num = (v: Element) => Number(v);
const bigint = (v: Element) => BigInt(Math.trunc(num(v)));

/** The fixed-size datatypes, as the binary extension lays out each element. */
const FIXED: Record<string, Fixed> = {
  BOOL: { bytes: 1, read: (d, at) => d.getUint8(at) !== 0, write: (d, at, v) => d.setUint8(at, num(v) ? 1 : 0) },
  UINT8: { bytes: 1, read: (d, at) => d.getUint8(at), write: (d, at, v) => d.setUint8(at, num(v)) },
  UINT16: { bytes: 2, read: (d, at) => d.getUint16(at, true), write: (d, at, v) => d.setUint16(at, num(v), true) },
  UINT32: { bytes: 4, read: (d, at) => d.getUint32(at, true), write: (d, at, v) => d.setUint32(at, num(v), true) },
  UINT64: { bytes: 8, read: (d, at) => Number(d.getBigUint64(at, true)), write: (d, at, v) => d.setBigUint64(at, bigint(v), true) },
  INT8: { bytes: 1, read: (d, at) => d.getInt8(at), write: (d, at, v) => d.setInt8(at, num(v)) },
  INT16: { bytes: 2, read: (d, at) => d.getInt16(at, true), write: (d, at, v) => d.setInt16(at, num(v), true) },
  INT32: { bytes: 4, read: (d, at) => d.getInt32(at, true), write: (d, at, v) => d.setInt32(at, num(v), true) },
  INT64: { bytes: 8, read: (d, at) => Number(d.getBigInt64(at, true)), write: (d, at, v) => d.setBigInt64(at, bigint(v), true) },
  FP32: { bytes: 4, read: (d, at) => d.getFloat32(at, true), write: (d, at, v) => d.setFloat32(at, num(v), true) },
  FP64: { bytes: 8, read: (d, at) => d.getFloat64(at, true), write: (d, at, v) => d.setFloat64(at, num(v), true) },
};

/** Every datatype the protocol names; FP16 and BF16 have no JavaScript number type to carry them here. */
export const DATATYPES = [...Object.keys(FIXED), 'BYTES'];
const UNSUPPORTED = ['FP16', 'BF16'];

/** KServe's datatype ↔ onnxruntime's element type (web/runtime/engines/tensor.ts). */
const ONNX: Record<string, string> = {
  BOOL: 'bool', UINT8: 'uint8', UINT16: 'uint16', UINT32: 'uint32', UINT64: 'uint64', INT8: 'int8', INT16: 'int16',
  INT32: 'int32', INT64: 'int64', FP32: 'float32', FP64: 'float64', BYTES: 'string', FP16: 'float16', BF16: 'bfloat16',
};
const FROM_ONNX = Object.fromEntries(Object.entries(ONNX).map(([k, v]) => [v, k]));

export const onnxType = (datatype: string): string => ONNX[datatype] ?? datatype.toLowerCase();
/** The datatype of an onnxruntime element type; BYTES for one the protocol has no name for. */
export const datatypeOf = (onnx: string | undefined): string => (onnx && FROM_ONNX[onnx]) || 'BYTES';

export const isNumeric = (datatype: string) => datatype !== 'BOOL' && datatype !== 'BYTES';

export function checkDatatype(input: string, datatype: string): void {
  if (UNSUPPORTED.includes(datatype)) throw new BridgeError('bad_request', `input "${input}": datatype ${datatype} is not supported here (${DATATYPES.join(', ')})`);
  if (!DATATYPES.includes(datatype)) throw new BridgeError('bad_request', `input "${input}": unknown datatype "${datatype}" (${DATATYPES.join(', ')})`);
}

export const elementCount = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** JSON tensor data (nested lists or flat) → its elements, checked against the datatype and the shape. */
export function fromJsonData(input: string, datatype: string, shape: number[], data: unknown): Element[] {
  const flat = Array.isArray(data) ? (data as unknown[]).flat(Infinity) : [data];
  const count = elementCount(shape);
  if (flat.length !== count) throw new BridgeError('bad_request', `input "${input}": shape [${shape.join(', ')}] holds ${count} elements, data has ${flat.length}`);
  const want = datatype === 'BYTES' ? 'string' : datatype === 'BOOL' ? 'boolean' : 'number';
  flat.forEach((v, i) => {
    // Booleans may come as 0/1, as numpy writes them.
    const ok = typeof v === want || (want === 'boolean' && (v === 0 || v === 1));
    if (!ok) throw new BridgeError('bad_request', `input "${input}": element ${i} is ${JSON.stringify(v)}, not a ${want} (datatype ${datatype})`);
  });
  return want === 'boolean' ? flat.map((v) => Boolean(v)) : (flat as Element[]);
}

/** Binary tensor data → its elements. */
export function fromBinary(input: string, datatype: string, shape: number[], bytes: Uint8Array): Element[] {
  const count = elementCount(shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (datatype === 'BYTES') {
    const out: Uint8Array[] = [];
    let at = 0;
    while (at + 4 <= bytes.byteLength && out.length < count) {
      const n = view.getUint32(at, true);
      if (at + 4 + n > bytes.byteLength) break;
      out.push(bytes.subarray(at + 4, at + 4 + n));
      at += 4 + n;
    }
    if (out.length === count && at === bytes.byteLength) return out;
    // One element sent as the file itself, without its length (as OpenVINO's clients send images).
    if (count === 1) return [bytes];
    throw new BridgeError('bad_request', `input "${input}": the binary data does not hold ${count} BYTES elements (each a 4-byte little-endian length, then the bytes)`);
  }
  const fixed = FIXED[datatype]!;
  if (bytes.byteLength !== count * fixed.bytes) {
    throw new BridgeError('bad_request', `input "${input}": shape [${shape.join(', ')}] of ${datatype} takes ${count * fixed.bytes} bytes, binary_data_size is ${bytes.byteLength}`);
  }
  return Array.from({ length: count }, (_, i) => fixed.read(view, i * fixed.bytes));
}

const utf8 = new TextEncoder();

/** Elements → binary tensor data. */
export function toBinary(datatype: string, data: readonly Element[]): Uint8Array {
  if (datatype === 'BYTES') {
    const parts = data.map((v) => (v instanceof Uint8Array ? v : utf8.encode(typeof v === 'string' ? v : String(v))));
    const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.byteLength, 0));
    const view = new DataView(out.buffer);
    let at = 0;
    for (const p of parts) {
      view.setUint32(at, p.byteLength, true);
      out.set(p, at + 4);
      at += 4 + p.byteLength;
    }
    return out;
  }
  const fixed = FIXED[datatype]!;
  const out = new Uint8Array(data.length * fixed.bytes);
  const view = new DataView(out.buffer);
  data.forEach((v, i) => fixed.write(view, i * fixed.bytes, v));
  return out;
}
