// Converts an ONNX convolutional network into a TFLite one that LiteRT.js runs on XNNPACK, the same
// arithmetic in TFLite's layout. ONNX convolutions are NCHW, TFLite's NHWC: a 4-D activation the ONNX
// graph holds as NCHW is kept in NHWC, and the Transposes an exporter put at the graph's NHWC edges
// become nothing. The operators covered are those of the networks pagebridge converts (face-detection's
// BlazeFace): Conv (dense and depthwise), Add, Relu, MaxPool, Concat, ConstantOfShape, Transpose at the
// edges, Reshape. Anything else is refused with the operator named, never converted approximately.
import { readOnnx, type Attribute, type Data, type OnnxNode } from './onnx.ts';
import { Activation, Op, Padding, TensorType, writeTflite, type Options, type TflModel, type TflOperator } from './tflite.ts';

/** A value of the ONNX graph as the TFLite graph holds it: `nchw` means an ONNX NCHW value stored NHWC. */
interface Value { tensor: number; shape: number[]; layout: 'nchw' | 'plain' }

const NCHW_TO_NHWC = [0, 2, 3, 1];
const nhwc = (s: number[]) => NCHW_TO_NHWC.map((i) => s[i]!);
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const bytes = (d: Float32Array | Int32Array) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/** Permutes a dense [O, I, kh, kw] array into `order` of its axes. */
function permute(data: Float32Array, dims: number[], order: number[]): Float32Array {
  const out = new Float32Array(data.length);
  const outDims = order.map((i) => dims[i]!);
  const strides = dims.map((_, i) => size(dims.slice(i + 1)));
  const idx = [0, 0, 0, 0];
  for (let o = 0; o < out.length; o++) {
    let rest = o;
    for (let k = 3; k >= 0; k--) { idx[order[k]!] = rest % outDims[k]!; rest = Math.floor(rest / outDims[k]!); }
    out[o] = data[idx[0]! * strides[0]! + idx[1]! * strides[1]! + idx[2]! * strides[2]! + idx[3]! * strides[3]!]!;
  }
  return out;
}

/** ONNX's [top, left, bottom, right] pads as TFLite's SAME or VALID, or undefined if neither. */
function padding(inH: number, inW: number, k: number[], s: number[], d: number[], pads: number[]): number | undefined {
  if (pads.every((p) => p === 0)) return Padding.VALID;
  const same = (input: number, kernel: number, stride: number, dil: number) => {
    const out = Math.ceil(input / stride);
    const total = Math.max((out - 1) * stride + (kernel - 1) * dil + 1 - input, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [t, b] = same(inH, k[0]!, s[0]!, d[0]!), [l, r] = same(inW, k[1]!, s[1]!, d[1]!);
  return pads[0] === t && pads[1] === l && pads[2] === b && pads[3] === r ? Padding.SAME : undefined;
}

export function convertOnnxToTflite(onnx: Uint8Array, description = 'converted from ONNX by pagebridge'): Uint8Array {
  const g = readOnnx(onnx);
  const model: TflModel = { tensors: [], operators: [], inputs: [], outputs: [], description };
  const values = new Map<string, Value>();
  const consumers = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  for (const o of g.outputs) consumers.set(o.name, (consumers.get(o.name) ?? 0) + 1);

  const tensor = (name: string, shape: number[], type: number = TensorType.FLOAT32, data?: Uint8Array) =>
    model.tensors.push({ name, shape, type, data }) - 1;
  const constant = (name: string, shape: number[], data: Float32Array | Int32Array) =>
    tensor(name, shape, data instanceof Int32Array ? TensorType.INT32 : TensorType.FLOAT32, bytes(data));
  const value = (name: string): Value => {
    const v = values.get(name);
    if (!v) throw new Error(`"${name}" is used before any node makes it (or is a weight where an activation belongs)`);
    return v;
  };
  const weight = (name: string): { dims: number[]; data: Data } => {
    const w = g.initializers.get(name);
    if (!w) throw new Error(`"${name}" must be a constant`);
    return w;
  };
  const floats = (name: string) => {
    const w = weight(name);
    if (!(w.data instanceof Float32Array)) throw new Error(`"${name}" must be float32`);
    return { dims: w.dims, data: w.data };
  };
  const ints = (a: Attribute | undefined, fallback: number[]) => a?.ints ?? fallback;
  const emit = (op: number, inputs: number[], output: string, shape: number[], layout: Value['layout'], options: Options): TflOperator => {
    const t = tensor(output, layout === 'nchw' ? nhwc(shape) : shape);
    values.set(output, { tensor: t, shape, layout });
    const o = { op, inputs, outputs: [t], options };
    model.operators.push(o);
    return o;
  };
  /** Values that are constant zeros (ConstantOfShape's default). */
  const zeros = new Set<string>();
  /** The operator that made `name`, if its activation can take a Relu after it (its only consumer). */
  const fusable = new Map<string, TflOperator>();

  for (const i of g.inputs) {
    if (!i.dims.every((d) => typeof d === 'number' && d > 0)) throw new Error(`input "${i.name}" must have fixed dims, not [${i.dims}]`);
    const shape = i.dims as number[];
    const t = tensor(i.name, shape);
    values.set(i.name, { tensor: t, shape, layout: 'plain' });
    model.inputs.push(t);
  }

  for (const n of g.nodes) {
    const out = n.outputs[0]!;
    const attr = (k: string) => n.attrs.get(k);
    switch (n.op) {
      case 'Transpose': {
        // Only the edges' layout changes, which the NHWC storage makes free.
        const x = value(n.inputs[0]!);
        const perm = ints(attr('perm'), []).join(',');
        if (x.layout === 'plain' && x.shape.length === 4 && perm === '0,3,1,2') values.set(out, { tensor: x.tensor, shape: [0, 3, 1, 2].map((i) => x.shape[i]!), layout: 'nchw' });
        else if (x.layout === 'nchw' && perm === '0,2,3,1') values.set(out, { tensor: x.tensor, shape: nhwc(x.shape), layout: 'plain' });
        else throw unsupported(n, `perm [${perm}] on a ${x.layout} value`);
        break;
      }
      case 'Conv': {
        const x = value(n.inputs[0]!);
        if (x.layout !== 'nchw') throw unsupported(n, 'an input not in NCHW');
        const w = floats(n.inputs[1]!);
        const [oc, icPerGroup, kh, kw] = w.dims as [number, number, number, number];
        const group = attr('group')?.i ?? 1;
        const strides = ints(attr('strides'), [1, 1]), dil = ints(attr('dilations'), [1, 1]);
        const pads = ints(attr('pads'), [0, 0, 0, 0]);
        if (attr('auto_pad')?.s && attr('auto_pad')!.s !== 'NOTSET') throw unsupported(n, `auto_pad ${attr('auto_pad')!.s}`);
        const [, c, h, wd] = x.shape as [number, number, number, number];
        const pad = padding(h, wd, [kh, kw], strides, dil, pads);
        if (pad === undefined) throw unsupported(n, `pads [${pads}] that are neither SAME nor VALID`);
        const oh = Math.floor((h + pads[0]! + pads[2]! - dil[0]! * (kh - 1) - 1) / strides[0]!) + 1;
        const ow = Math.floor((wd + pads[1]! + pads[3]! - dil[1]! * (kw - 1) - 1) / strides[1]!) + 1;
        const bias = n.inputs[2] ? floats(n.inputs[2]).data : new Float32Array(oc);
        const biasT = constant(`${out}/bias`, [oc], bias);
        let o: TflOperator;
        if (group === 1) {
          // [O, I, kh, kw] → [O, kh, kw, I]
          const filter = constant(`${out}/filter`, [oc, kh, kw, icPerGroup], permute(w.data, w.dims, [0, 2, 3, 1]));
          o = emit(Op.CONV_2D, [x.tensor, filter, biasT], out, [1, oc, oh, ow], 'nchw',
            { kind: 'conv', padding: pad, strideW: strides[1]!, strideH: strides[0]!, activation: Activation.NONE, dilationW: dil[1]!, dilationH: dil[0]! });
        } else if (group === c && icPerGroup === 1) {
          // [O, 1, kh, kw] → [1, kh, kw, O]
          const filter = constant(`${out}/filter`, [1, kh, kw, oc], permute(w.data, w.dims, [1, 2, 3, 0]));
          o = emit(Op.DEPTHWISE_CONV_2D, [x.tensor, filter, biasT], out, [1, oc, oh, ow], 'nchw',
            { kind: 'depthwise', padding: pad, strideW: strides[1]!, strideH: strides[0]!, depthMultiplier: oc / c, activation: Activation.NONE, dilationW: dil[1]!, dilationH: dil[0]! });
        } else throw unsupported(n, `group ${group} (only 1 and depthwise)`);
        if (consumers.get(out) === 1) fusable.set(out, o);
        break;
      }
      case 'Add': {
        const [a, b] = [value(n.inputs[0]!), value(n.inputs[1]!)];
        if (a.layout !== b.layout || a.shape.join() !== b.shape.join()) throw unsupported(n, 'inputs of different shapes or layouts');
        const o = emit(Op.ADD, [a.tensor, b.tensor], out, a.shape, a.layout, { kind: 'add', activation: Activation.NONE });
        if (consumers.get(out) === 1) fusable.set(out, o);
        break;
      }
      case 'Relu': {
        const x = value(n.inputs[0]!);
        const before = fusable.get(n.inputs[0]!);
        if (before && 'activation' in before.options && before.options.activation === Activation.NONE) {
          // The previous operator applies it: the Relu's output is that operator's.
          before.options.activation = Activation.RELU;
          values.set(out, x);
          fusable.delete(n.inputs[0]!);
        } else emit(Op.RELU, [x.tensor], out, x.shape, x.layout, { kind: 'none' });
        break;
      }
      case 'MaxPool': {
        const x = value(n.inputs[0]!);
        if (x.layout !== 'nchw') throw unsupported(n, 'an input not in NCHW');
        const k = ints(attr('kernel_shape'), []), strides = ints(attr('strides'), [1, 1]), pads = ints(attr('pads'), [0, 0, 0, 0]);
        if ((attr('ceil_mode')?.i ?? 0) !== 0 || ints(attr('dilations'), [1, 1]).some((d) => d !== 1)) throw unsupported(n, 'ceil_mode or dilations');
        const [, c, h, w] = x.shape as [number, number, number, number];
        const pad = padding(h, w, k, strides, [1, 1], pads);
        if (pad === undefined) throw unsupported(n, `pads [${pads}]`);
        const oh = Math.floor((h + pads[0]! + pads[2]! - k[0]!) / strides[0]!) + 1;
        const ow = Math.floor((w + pads[1]! + pads[3]! - k[1]!) / strides[1]!) + 1;
        emit(Op.MAX_POOL_2D, [x.tensor], out, [1, c, oh, ow], 'nchw',
          { kind: 'pool', padding: pad, strideW: strides[1]!, strideH: strides[0]!, filterW: k[1]!, filterH: k[0]!, activation: Activation.NONE });
        break;
      }
      case 'ConstantOfShape': {
        // A constant of the graph's own (BlazeFace pads channels with zeros this way): NCHW, stored NHWC.
        const shape = [...weight(n.inputs[0]!).data].map(Number);
        const fill = attr('value')?.t?.data[0] ?? 0;
        if (shape.length !== 4 || typeof fill !== 'number') throw unsupported(n, `shape [${shape}] or its value`);
        const t = constant(out, nhwc(shape), new Float32Array(size(shape)).fill(fill));
        values.set(out, { tensor: t, shape, layout: 'nchw' });
        if (fill === 0) zeros.add(out);
        break;
      }
      case 'Concat': {
        const xs = n.inputs.map(value);
        const axis = attr('axis')?.i ?? 0;
        if (xs.some((x) => x.layout !== 'nchw') || xs[0]!.shape.length !== 4) throw unsupported(n, 'inputs not all 4-D NCHW');
        const a = axis < 0 ? axis + 4 : axis;
        const shape = [...xs[0]!.shape];
        shape[a] = xs.reduce((s, x) => s + x.shape[a]!, 0);
        if (xs.length === 2 && zeros.has(n.inputs[1]!)) {
          // Zeros after a value: a PAD, which XNNPACK runs in place of a concatenation with a constant.
          const paddings = new Int32Array(8);
          paddings[NCHW_TO_NHWC.indexOf(a) * 2 + 1] = xs[1]!.shape[a]!;
          const p = constant(`${out}/paddings`, [4, 2], paddings);
          emit(Op.PAD, [xs[0]!.tensor, p], out, shape, 'nchw', { kind: 'pad' });
          break;
        }
        emit(Op.CONCATENATION, xs.map((x) => x.tensor), out, shape, 'nchw', { kind: 'concat', axis: NCHW_TO_NHWC.indexOf(a), activation: Activation.NONE });
        break;
      }
      case 'Reshape': {
        const x = value(n.inputs[0]!);
        if (x.layout !== 'plain') throw unsupported(n, 'an NCHW input (its element order differs in NHWC)');
        const target = [...weight(n.inputs[1]!).data].map(Number).map((d, i) => (d === 0 ? x.shape[i]! : d));
        const known = size(target.filter((d) => d !== -1));
        const shape = target.map((d) => (d === -1 ? size(x.shape) / known : d));
        const shapeT = constant(`${out}/shape`, [shape.length], Int32Array.from(shape));
        emit(Op.RESHAPE, [x.tensor, shapeT], out, shape, 'plain', { kind: 'reshape', newShape: shape });
        break;
      }
      default:
        throw unsupported(n, 'this operator');
    }
  }
  for (const o of g.outputs) {
    const v = value(o.name);
    if (v.layout !== 'plain') throw new Error(`output "${o.name}" is NCHW inside the graph; only NHWC or flat outputs convert`);
    // The output keeps its ONNX name, so that code reading outputs by name reads either network alike.
    model.tensors[v.tensor]!.name = o.name;
    model.outputs.push(v.tensor);
  }
  return writeTflite(model);
}

function unsupported(n: OnnxNode, what: string): Error {
  return new Error(`${n.op} ${JSON.stringify(n.outputs[0])}: ${what} is not supported by the ONNX to TFLite converter`);
}
