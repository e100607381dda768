// What a conversion holds while it walks the ONNX graph (convert.ts) and its operators (operators.ts)
// add to it: the TFLite model being built, each ONNX value's TFLite tensor and layout, the values known
// outright (shapes, and what is computed from them and from constants), and the operators a following
// activation may fuse into.
import type { Data, OnnxGraph, OnnxNode, Attribute } from './onnx.ts';
import { Activation, TensorType, type Options, type TflModel, type TflOperator } from './tflite.ts';

/** A value of the ONNX graph as the TFLite graph holds it: `nchw` means an ONNX NCHW value stored NHWC. */
export interface Value { tensor: number; shape: number[]; layout: 'nchw' | 'plain' }

export const NCHW_TO_NHWC = [0, 2, 3, 1];
export const nhwc = (s: number[]) => NCHW_TO_NHWC.map((i) => s[i]!);
export const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
export const ints = (a: Attribute | undefined, fallback: number[]) => a?.ints ?? fallback;
const bytes = (d: Float32Array | Int32Array) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/** The operators an activation after them fuses into. */
const FUSES = new Set<Options['kind']>(['conv', 'depthwise', 'add', 'sub', 'mul']);

/** One spatial output size of a convolution or pooling window (ONNX's formula, floor). */
export const windowOutput = (input: number, kernel: number, stride: number, dilation: number, padBefore: number, padAfter: number) =>
  Math.floor((input + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1;

/** Refuses `n` unless its two inputs are alike in shape and layout. */
export function sameShape(n: OnnxNode, a: Value, b: Value): void {
  if (a.layout !== b.layout || a.shape.join() !== b.shape.join()) throw unsupported(n, 'inputs of different shapes or layouts');
}

export function unsupported(n: OnnxNode, what: string): Error {
  return new Error(`${n.op} ${JSON.stringify(n.outputs[0])}: ${what} is not supported by the ONNX to TFLite converter`);
}

export class Conversion {
  readonly model: TflModel;
  readonly values = new Map<string, Value>();
  /** How many nodes (and graph outputs) read each value: an operator whose output only an activation reads may fuse it. */
  readonly consumers = new Map<string, number>();
  /** Values known while converting (shapes, and what is computed from them and from constants). */
  readonly consts = new Map<string, { dims: number[]; data: number[] }>();
  /** Values that are constant zeros (ConstantOfShape's default). */
  readonly zeros = new Set<string>();
  /** The operator that made each value `emit` made. */
  readonly producers = new Map<string, TflOperator>();

  constructor(readonly graph: OnnxGraph, description: string) {
    this.model = { tensors: [], operators: [], inputs: [], outputs: [], description };
    for (const n of graph.nodes) for (const i of n.inputs) this.consumers.set(i, (this.consumers.get(i) ?? 0) + 1);
    for (const o of graph.outputs) this.consumers.set(o.name, (this.consumers.get(o.name) ?? 0) + 1);
  }

  tensor(name: string, shape: number[], type: number = TensorType.FLOAT32, data?: Uint8Array): number {
    return this.model.tensors.push({ name, shape, type, data }) - 1;
  }

  constant(name: string, shape: number[], data: Float32Array | Int32Array): number {
    return this.tensor(name, shape, data instanceof Int32Array ? TensorType.INT32 : TensorType.FLOAT32, bytes(data));
  }

  value(name: string): Value {
    const v = this.values.get(name);
    if (!v) throw new Error(`"${name}" is used before any node makes it (or is a weight where an activation belongs)`);
    return v;
  }

  weight(name: string): { dims: number[]; data: Data } {
    const w = this.graph.initializers.get(name);
    if (!w) throw new Error(`"${name}" must be a constant`);
    return w;
  }

  floats(name: string): { dims: number[]; data: Float32Array } {
    const w = this.weight(name);
    if (!(w.data instanceof Float32Array)) throw new Error(`"${name}" must be float32`);
    return { dims: w.dims, data: w.data };
  }

  /** A value known outright: computed here, or a small initializer. */
  known(name: string): { dims: number[]; data: number[] } | undefined {
    const c = this.consts.get(name);
    if (c) return c;
    const w = this.graph.initializers.get(name);
    return w && w.data.length <= 64 ? { dims: w.dims, data: [...w.data].map(Number) } : undefined;
  }

  /** Input `i` of `n`, which must be known outright. */
  knownValue(n: OnnxNode, i: number): number[] {
    const c = n.inputs[i] ? this.known(n.inputs[i]) : undefined;
    if (!c) throw unsupported(n, `input ${i} that is not a constant`);
    return c.data;
  }

  /** An operand of an element-wise operator: a value, or a scalar constant (which broadcasts). */
  operand(name: string, other: Value): Value {
    const v = this.values.get(name);
    if (v) return v;
    const w = this.floats(name);
    if (w.data.length !== 1) throw new Error(`"${name}": only scalar constants are supported as element-wise operands`);
    return { tensor: this.constant(name, [1], w.data), shape: [1], layout: other.layout };
  }

  /** Adds an operator making `output` (ONNX shape `shape`, held in `layout`). */
  emit(op: number, inputs: number[], output: string, shape: number[], layout: Value['layout'], options: Options): TflOperator {
    const t = this.tensor(output, layout === 'nchw' ? nhwc(shape) : shape);
    this.values.set(output, { tensor: t, shape, layout });
    const o = { op, inputs, outputs: [t], options };
    this.model.operators.push(o);
    this.producers.set(output, o);
    return o;
  }

  /** The operator that made `name`, if an activation after it can be fused into it: it has none yet, it
   *  is of a kind that fuses (convolutions and element-wise arithmetic), and the activation is its only reader. */
  fusableProducer(name: string): TflOperator | undefined {
    const o = this.producers.get(name);
    return o && FUSES.has(o.options.kind) && 'activation' in o.options && o.options.activation === Activation.NONE
      && this.consumers.get(name) === 1 ? o : undefined;
  }
}
