// The plain tensor every engine takes and gives, and its JSON form `{dtype, dims, data}` (the generic
// tensor adapter's inputs and outputs, and what runtime programs pass to their own models).
import { InputError } from '../errors.ts';

export type TensorData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | string[];

export interface Tensor {
  /** `float32`, `int64`, `bool` (bytes 0/1), `string`, …: the names onnxruntime and numpy use. */
  type: string;
  dims: readonly number[];
  data: TensorData;
}

/** A tensor as JSON: 64-bit integers as numbers, booleans as numbers 0/1. */
export interface TensorJson {
  dtype: string;
  dims: number[];
  data: number[] | boolean[] | string[];
}

const ARRAYS: Record<string, new (n: number) => Exclude<TensorData, string[]>> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
  bool: Uint8Array,
};

/** Element types a tensor given as JSON may have. */
export const TENSOR_TYPES = [...Object.keys(ARRAYS), 'string'];

/**
 * A tensor given as JSON (`{dtype?, dims, data}`, data a list or a typed array) → a Tensor, its data
 * checked against its dims. `dtypeHint` (what the network takes) stands in for a missing dtype.
 */
export function tensorFromJson(name: string, value: unknown, dtypeHint?: string): Tensor {
  const v = value as Partial<TensorJson> | undefined;
  if (!v || typeof v !== 'object' || !Array.isArray(v.dims) || !(Array.isArray(v.data) || ArrayBuffer.isView(v.data))) {
    throw new InputError(`input "${name}" must be a tensor: {"dtype", "dims": [...], "data": [...]}`);
  }
  if (!v.dims.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new InputError(`input "${name}": dims must be whole numbers of at least 0, got [${v.dims.join(', ')}]`);
  }
  const dtype = v.dtype ?? dtypeHint ?? 'float32';
  const count = v.dims.reduce((a, b) => a * b, 1);
  const data = v.data as ArrayLike<unknown>;
  if (data.length !== count) throw new InputError(`input "${name}": dims [${v.dims.join(', ')}] hold ${count} values, data has ${data.length}`);
  if (dtype === 'string') return { type: dtype, dims: v.dims, data: Array.from(data, String) };
  const Ctor = ARRAYS[dtype];
  if (!Ctor) throw new InputError(`input "${name}": dtype "${dtype}" is not supported (${TENSOR_TYPES.join(', ')})`);
  const typed = new Ctor(count) as { [i: number]: unknown };
  const big = dtype === 'int64' || dtype === 'uint64';
  for (let i = 0; i < count; i++) {
    const n = Number(data[i]);
    if (big && !Number.isFinite(n)) throw new InputError(`input "${name}": ${String(data[i])} at [${i}] is no ${dtype}`);
    typed[i] = big ? BigInt(Math.trunc(n)) : n;
  }
  return { type: dtype, dims: v.dims, data: typed as TensorData };
}

/** A Tensor as JSON: 64-bit integers become numbers. */
export function tensorToJson(t: Tensor): TensorJson {
  const data = t.data as ArrayLike<number | bigint | string>;
  return { dtype: t.type, dims: [...t.dims], data: Array.from(data, (x) => (typeof x === 'bigint' ? Number(x) : x)) as number[] };
}
