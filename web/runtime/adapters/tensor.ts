// The generic adapter: any ONNX graph, its inputs and outputs as tensors `{dtype, dims, data}`.
// A model without a model.json of its own (a dropped .onnx) gets its info from the graph.
import type * as Ort from 'onnxruntime-web';
import type { Adapter } from './adapter.ts';
import type { ModelInfo, Port } from '../../contract/index.ts';
import { InputError } from '../errors.ts';

export interface TensorValue {
  dtype: string;
  dims: number[];
  data: number[] | boolean[] | string[];
}

const ARRAYS: Record<string, new (n: number) => ArrayLike<unknown>> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
};

/** Runway-shaped info from a session's graph: one `tensor` port per graph input and output. */
export function infoFromGraph(session: Pick<Ort.InferenceSession, 'inputMetadata' | 'outputMetadata'>): ModelInfo {
  const port = (m: Ort.InferenceSession.ValueMetadata): Port => m.isTensor
    ? { name: m.name, type: 'tensor', dtype: m.type, dims: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : String(d))),
        description: `${m.type} [${m.shape.join(', ')}]` }
    : { name: m.name, type: 'tensor', description: 'a non-tensor value' };
  return { inputs: session.inputMetadata.map(port), outputs: session.outputMetadata.map(port) };
}

/** A JSON tensor → typed data checked against its dims. */
export function toTypedData(name: string, value: unknown, dtypeHint?: string): { dtype: string; dims: number[]; data: ArrayLike<unknown> } {
  const v = value as Partial<TensorValue> | undefined;
  if (!v || !Array.isArray(v.dims) || !(Array.isArray(v.data) || ArrayBuffer.isView(v.data))) {
    throw new InputError(`input "${name}" must be a tensor: {"dtype", "dims": [...], "data": [...]}`);
  }
  const dtype = v.dtype ?? dtypeHint ?? 'float32';
  const count = v.dims.reduce((a, b) => a * b, 1);
  const data = v.data as ArrayLike<unknown>;
  if (data.length !== count) throw new InputError(`input "${name}": dims [${v.dims.join(', ')}] hold ${count} values, data has ${data.length}`);
  if (dtype === 'bool' || dtype === 'string') return { dtype, dims: v.dims, data: Array.from(data) };
  const Ctor = ARRAYS[dtype];
  if (!Ctor) throw new InputError(`input "${name}": dtype "${dtype}" is not supported`);
  const typed = new Ctor(count) as unknown as { [i: number]: unknown };
  const big = dtype === 'int64' || dtype === 'uint64';
  for (let i = 0; i < count; i++) typed[i] = big ? BigInt(Math.trunc(Number(data[i]))) : Number(data[i]);
  return { dtype, dims: v.dims, data: typed as ArrayLike<unknown> };
}

/** An output tensor as JSON: 64-bit integers become numbers. */
export function fromTensor(t: Ort.Tensor): TensorValue {
  const data = t.data as ArrayLike<number | bigint | boolean | string>;
  return { dtype: t.type, dims: [...t.dims], data: Array.from(data, (x) => (typeof x === 'bigint' ? Number(x) : x)) as number[] };
}

export const tensor: Adapter = {
  async run(inputs, { ort, session }) {
    const feeds: Record<string, Ort.Tensor> = {};
    const meta = new Map(session.inputMetadata.map((m) => [m.name, m]));
    for (const name of session.inputNames) {
      const m = meta.get(name);
      const t = toTypedData(name, inputs[name], m?.isTensor ? m.type : undefined);
      feeds[name] = new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.dims);
    }
    let out: Ort.InferenceSession.ReturnType;
    try {
      out = await session.run(feeds);
    } catch (err) {
      // Shape and type mismatches surface here; they are the caller's to fix.
      throw new InputError((err as Error).message);
    } finally {
      for (const t of Object.values(feeds)) t.dispose();
    }
    const outputs: Record<string, TensorValue> = {};
    for (const [name, t] of Object.entries(out)) {
      outputs[name] = fromTensor(t);
      t.dispose();
    }
    return outputs;
  },
};
