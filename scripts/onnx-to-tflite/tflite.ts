// Writes a TFLite model (a FlatBuffer, file identifier "TFL3", schema version 3) from plain tensors and
// operators. Only what the converter emits: float32 and int32 tensors, builtin operators with their
// options tables. Field numbers are those of TFLite's schema.fbs.
import { Builder } from 'flatbuffers';

export const TensorType = { FLOAT32: 0, INT32: 2, BOOL: 6 } as const;
export const Op = {
  ADD: 0, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, LOGISTIC: 14, MAX_POOL_2D: 17, MUL: 18, RELU: 19, RELU6: 21,
  RESHAPE: 22, RESIZE_BILINEAR: 23, PAD: 34, SUB: 41, CAST: 53, SLICE: 65, EQUAL: 71,
} as const;
export const Padding = { SAME: 0, VALID: 1 } as const;
export const Activation = { NONE: 0, RELU: 1, RELU6: 3 } as const;

/** A tensor: its data when constant. */
export interface TflTensor { name: string; shape: number[]; type: number; data?: Uint8Array }

/** An operator's options, by its kind (each a table of schema.fbs). */
export type Options =
  | { kind: 'conv'; padding: number; strideW: number; strideH: number; activation: number; dilationW: number; dilationH: number }
  | { kind: 'depthwise'; padding: number; strideW: number; strideH: number; depthMultiplier: number; activation: number; dilationW: number; dilationH: number }
  | { kind: 'pool'; padding: number; strideW: number; strideH: number; filterW: number; filterH: number; activation: number }
  | { kind: 'concat'; axis: number; activation: number }
  | { kind: 'add' | 'mul' | 'sub'; activation: number }
  | { kind: 'resize'; alignCorners: boolean; halfPixelCenters: boolean }
  | { kind: 'cast'; from: number; to: number }
  | { kind: 'slice' | 'equal' }
  | { kind: 'reshape'; newShape: number[] }
  | { kind: 'pad' }
  | { kind: 'none' };

export interface TflOperator { op: number; inputs: number[]; outputs: number[]; options: Options }
export interface TflModel { tensors: TflTensor[]; operators: TflOperator[]; inputs: number[]; outputs: number[]; description: string }

/** The BuiltinOptions union's member for each kind (its position in schema.fbs's union, from 1). */
const UNION: Record<Options['kind'], number> = {
  conv: 1, depthwise: 2, pool: 5, concat: 10, add: 11, resize: 15, reshape: 17, mul: 21, pad: 22, sub: 28, cast: 37, slice: 48, equal: 53, none: 0,
};

function int32Vector(b: Builder, values: number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]!);
  return b.endVector();
}

function offsetVector(b: Builder, offsets: number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
  return b.endVector();
}

function options(b: Builder, o: Options): number {
  // reshape's vector is written before its table starts.
  const newShape = o.kind === 'reshape' ? int32Vector(b, o.newShape) : 0;
  switch (o.kind) {
    case 'conv':
      b.startObject(6);
      b.addFieldInt8(0, o.padding, 0); b.addFieldInt32(1, o.strideW, 0); b.addFieldInt32(2, o.strideH, 0);
      b.addFieldInt8(3, o.activation, 0); b.addFieldInt32(4, o.dilationW, 1); b.addFieldInt32(5, o.dilationH, 1);
      return b.endObject();
    case 'depthwise':
      b.startObject(7);
      b.addFieldInt8(0, o.padding, 0); b.addFieldInt32(1, o.strideW, 0); b.addFieldInt32(2, o.strideH, 0);
      b.addFieldInt32(3, o.depthMultiplier, 0); b.addFieldInt8(4, o.activation, 0);
      b.addFieldInt32(5, o.dilationW, 1); b.addFieldInt32(6, o.dilationH, 1);
      return b.endObject();
    case 'pool':
      b.startObject(6);
      b.addFieldInt8(0, o.padding, 0); b.addFieldInt32(1, o.strideW, 0); b.addFieldInt32(2, o.strideH, 0);
      b.addFieldInt32(3, o.filterW, 0); b.addFieldInt32(4, o.filterH, 0); b.addFieldInt8(5, o.activation, 0);
      return b.endObject();
    case 'concat':
      b.startObject(2);
      b.addFieldInt32(0, o.axis, 0); b.addFieldInt8(1, o.activation, 0);
      return b.endObject();
    case 'add':
    case 'mul':
    case 'sub':
      b.startObject(1);
      b.addFieldInt8(0, o.activation, 0);
      return b.endObject();
    case 'resize':
      // new_height and new_width (deprecated) are slots 0 and 1.
      b.startObject(4);
      b.addFieldInt8(2, Number(o.alignCorners), 0); b.addFieldInt8(3, Number(o.halfPixelCenters), 0);
      return b.endObject();
    case 'cast':
      b.startObject(2);
      b.addFieldInt8(0, o.from, 0); b.addFieldInt8(1, o.to, 0);
      return b.endObject();
    case 'reshape':
      b.startObject(1);
      b.addFieldOffset(0, newShape, 0);
      return b.endObject();
    case 'pad':
    case 'slice':
    case 'equal':
      b.startObject(0);
      return b.endObject();
    case 'none':
      return 0;
  }
}

/** The model's FlatBuffer bytes. */
export function writeTflite(model: TflModel): Uint8Array {
  const b = new Builder(1 << 20);
  // Buffers: the 0th is the empty one every tensor without data points at.
  const constants = model.tensors.filter((t) => t.data);
  const bufferOffsets: number[] = [];
  b.startObject(1);
  bufferOffsets.push(b.endObject());
  for (const t of constants) {
    const data = t.data!;
    // Constant data 16-byte aligned, as the schema asks (force_align: 16).
    b.startVector(1, data.length, 16);
    for (let i = data.length - 1; i >= 0; i--) b.addInt8(data[i]!);
    const vector = b.endVector();
    b.startObject(1);
    b.addFieldOffset(0, vector, 0);
    bufferOffsets.push(b.endObject());
  }
  const bufferIndex = new Map(constants.map((t, i) => [t, i + 1]));

  const tensorOffsets = model.tensors.map((t) => {
    const name = b.createString(t.name);
    const shape = int32Vector(b, t.shape);
    b.startObject(6);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, t.type, 0);
    b.addFieldInt32(2, bufferIndex.get(t) ?? 0, 0);
    b.addFieldOffset(3, name, 0);
    return b.endObject();
  });

  const codes = [...new Set(model.operators.map((o) => o.op))];
  const codeOffsets = codes.map((code) => {
    b.startObject(4);
    b.addFieldInt8(0, code, 0); // deprecated_builtin_code: what older runtimes read
    b.addFieldInt32(2, 1, 1); // version
    b.addFieldInt32(3, code, 0); // builtin_code
    return b.endObject();
  });

  const operatorOffsets = model.operators.map((o) => {
    const inputs = int32Vector(b, o.inputs);
    const outputs = int32Vector(b, o.outputs);
    const opts = options(b, o.options);
    b.startObject(5);
    b.addFieldInt32(0, codes.indexOf(o.op), 0);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    if (opts) {
      b.addFieldInt8(3, UNION[o.options.kind], 0);
      b.addFieldOffset(4, opts, 0);
    }
    return b.endObject();
  });

  const tensors = offsetVector(b, tensorOffsets);
  const inputs = int32Vector(b, model.inputs);
  const outputs = int32Vector(b, model.outputs);
  const operators = offsetVector(b, operatorOffsets);
  const name = b.createString('main');
  b.startObject(5);
  b.addFieldOffset(0, tensors, 0);
  b.addFieldOffset(1, inputs, 0);
  b.addFieldOffset(2, outputs, 0);
  b.addFieldOffset(3, operators, 0);
  b.addFieldOffset(4, name, 0);
  const subgraph = b.endObject();

  const operatorCodes = offsetVector(b, codeOffsets);
  const subgraphs = offsetVector(b, [subgraph]);
  const description = b.createString(model.description);
  const buffers = offsetVector(b, bufferOffsets);
  b.startObject(5);
  b.addFieldInt32(0, 3, 0);
  b.addFieldOffset(1, operatorCodes, 0);
  b.addFieldOffset(2, subgraphs, 0);
  b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, buffers, 0);
  b.finish(b.endObject(), 'TFL3');
  return b.asUint8Array();
}
