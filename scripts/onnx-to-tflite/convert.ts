// Converts an ONNX convolutional network into a TFLite one that LiteRT.js runs on XNNPACK, the same
// arithmetic in TFLite's layout. ONNX convolutions are NCHW, TFLite's NHWC: a 4-D activation the ONNX
// graph holds as NCHW is kept in NHWC, and the Transposes an exporter put at the graph's NHWC edges
// become nothing. What the graph computes from constants and shapes alone (a Resize's sizes, a Pad's
// pads) is computed here. The operators covered are those of the networks pagebridge converts
// (face-detection's BlazeFace, line-segments' M-LSD): Conv (dense and depthwise), Add, Sub, Mul, Relu,
// Clip to 0..6, Sigmoid, MaxPool, Pad, Resize (linear), Concat, Slice, Equal, Cast, ConstantOfShape,
// Transpose at the edges, Reshape. Anything else is refused with the operator named, never converted
// approximately.
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
  /** Values known while converting (shapes, and what is computed from them and from constants). */
  const consts = new Map<string, { dims: number[]; data: number[] }>();
  const known = (name: string) => {
    const c = consts.get(name);
    if (c) return c;
    const w = g.initializers.get(name);
    return w && w.data.length <= 64 ? { dims: w.dims, data: [...w.data].map(Number) } : undefined;
  };
  const knownValue = (n: OnnxNode, i: number) => {
    const c = n.inputs[i] ? known(n.inputs[i]) : undefined;
    if (!c) throw unsupported(n, `input ${i} that is not a constant`);
    return c.data;
  };
  /** A float constant operand of an element-wise operator (a scalar broadcasts). */
  const operand = (name: string, other: Value): Value => {
    const v = values.get(name);
    if (v) return v;
    const w = floats(name);
    if (w.data.length !== 1) throw new Error(`"${name}": only scalar constants are supported as element-wise operands`);
    return { tensor: constant(name, [1], w.data), shape: [1], layout: other.layout };
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
      case 'Relu':
      case 'Clip': {
        const x = value(n.inputs[0]!);
        let activation: number = Activation.RELU;
        if (n.op === 'Clip') {
          // Clip's bounds are inputs from opset 11 on, attributes before.
          const min = n.inputs[1] ? knownValue(n, 1)[0] : attr('min')?.f, max = n.inputs[2] ? knownValue(n, 2)[0] : attr('max')?.f;
          if (min !== 0 || max !== 6) throw unsupported(n, `bounds ${min}..${max} (only 0..6, ReLU6)`);
          activation = Activation.RELU6;
        }
        const before = fusable.get(n.inputs[0]!);
        if (before && 'activation' in before.options && before.options.activation === Activation.NONE) {
          // The previous operator applies it: the activation's output is that operator's.
          before.options.activation = activation;
          values.set(out, x);
          fusable.delete(n.inputs[0]!);
        } else emit(activation === Activation.RELU ? Op.RELU : Op.RELU6, [x.tensor], out, x.shape, x.layout, { kind: 'none' });
        break;
      }
      case 'Sub':
      case 'Mul': {
        const a = value(n.inputs[0]!), b = operand(n.inputs[1]!, a);
        if (b.shape.length !== 1 && (a.layout !== b.layout || a.shape.join() !== b.shape.join())) throw unsupported(n, 'inputs of different shapes or layouts');
        const o = emit(n.op === 'Sub' ? Op.SUB : Op.MUL, [a.tensor, b.tensor], out, a.shape, a.layout,
          { kind: n.op === 'Sub' ? 'sub' : 'mul', activation: Activation.NONE });
        if (consumers.get(out) === 1) fusable.set(out, o);
        break;
      }
      case 'Sigmoid': {
        const x = value(n.inputs[0]!);
        emit(Op.LOGISTIC, [x.tensor], out, x.shape, x.layout, { kind: 'none' });
        break;
      }
      case 'Equal': {
        const [a, b] = [value(n.inputs[0]!), value(n.inputs[1]!)];
        if (a.layout !== b.layout || a.shape.join() !== b.shape.join()) throw unsupported(n, 'inputs of different shapes or layouts');
        const t = tensor(out, a.layout === 'nchw' ? nhwc(a.shape) : a.shape, TensorType.BOOL);
        values.set(out, { tensor: t, shape: a.shape, layout: a.layout });
        model.operators.push({ op: Op.EQUAL, inputs: [a.tensor, b.tensor], outputs: [t], options: { kind: 'equal' } });
        break;
      }
      case 'Cast': {
        // From Equal's booleans to float32 (ONNX's type 1), the one cast these networks make.
        const x = value(n.inputs[0]!);
        if (attr('to')?.i !== 1 || model.tensors[x.tensor]!.type !== TensorType.BOOL) throw unsupported(n, 'a cast other than bool to float32');
        emit(Op.CAST, [x.tensor], out, x.shape, x.layout, { kind: 'cast', from: TensorType.BOOL, to: TensorType.FLOAT32 });
        break;
      }
      case 'Pad': {
        const x = value(n.inputs[0]!);
        const mode = attr('mode')?.s ?? 'constant';
        const fill = n.inputs[2] ? knownValue(n, 2)[0] : 0;
        if (x.layout !== 'nchw' || mode !== 'constant' || fill !== 0) throw unsupported(n, `mode ${mode}, value ${fill} or a non-NCHW input`);
        const pads = n.inputs[1] ? knownValue(n, 1) : ints(attr('pads'), []);
        if (pads.length !== 8) throw unsupported(n, `pads [${pads}]`);
        const paddings = Int32Array.from(NCHW_TO_NHWC.flatMap((axis) => [pads[axis]!, pads[axis + 4]!]));
        const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + 4]!);
        emit(Op.PAD, [x.tensor, constant(`${out}/paddings`, [4, 2], paddings)], out, shape, 'nchw', { kind: 'pad' });
        break;
      }
      case 'Resize': {
        const x = value(n.inputs[0]!);
        const mode = attr('mode')?.s ?? 'nearest', coords = attr('coordinate_transformation_mode')?.s ?? 'half_pixel';
        if (x.layout !== 'nchw' || mode !== 'linear' || !['half_pixel', 'align_corners', 'asymmetric'].includes(coords)) throw unsupported(n, `mode ${mode}, ${coords}`);
        const sizes = n.inputs[3] ? knownValue(n, 3) : knownValue(n, 2).map((scale, i) => Math.floor(x.shape[i]! * scale));
        if (sizes[0] !== x.shape[0] || sizes[1] !== x.shape[1]) throw unsupported(n, 'a resize of the batch or channels');
        const size = constant(`${out}/size`, [2], Int32Array.from(sizes.slice(2)));
        emit(Op.RESIZE_BILINEAR, [x.tensor, size], out, sizes, 'nchw',
          { kind: 'resize', alignCorners: coords === 'align_corners', halfPixelCenters: coords === 'half_pixel' });
        break;
      }
      case 'Shape': {
        const x = value(n.inputs[0]!);
        consts.set(out, { dims: [x.shape.length], data: x.shape });
        break;
      }
      case 'Split': {
        // Of a constant, along its only axis (exporters compute pads so).
        const c = knownValue(n, 0);
        const parts = ints(attr('split'), n.outputs.map(() => c.length / n.outputs.length));
        let at = 0;
        n.outputs.forEach((o, i) => { consts.set(o, { dims: [parts[i]!], data: c.slice(at, at + parts[i]!) }); at += parts[i]!; });
        break;
      }
      case 'Slice': {
        const starts = knownValue(n, 1), ends = knownValue(n, 2);
        const c = known(n.inputs[0]!);
        if (c) {
          // Of a constant (a shape): computed here.
          if (c.dims.length !== 1 || (n.inputs[3] && knownValue(n, 3).some((a) => a !== 0))) throw unsupported(n, 'a constant of more than one axis');
          const data = c.data.slice(starts[0]!, Math.min(ends[0]!, c.data.length));
          consts.set(out, { dims: [data.length], data });
          break;
        }
        const x = value(n.inputs[0]!);
        const axes = n.inputs[3] ? knownValue(n, 3) : starts.map((_, i) => i);
        if (n.inputs[4] && knownValue(n, 4).some((s) => s !== 1)) throw unsupported(n, 'steps other than 1');
        const begin = x.shape.map(() => 0), shape = [...x.shape];
        axes.forEach((axis, i) => {
          const a = axis < 0 ? axis + x.shape.length : axis, dim = x.shape[a]!;
          const clamp = (v: number) => Math.max(0, Math.min(dim, v < 0 ? v + dim : v));
          begin[a] = clamp(starts[i]!);
          shape[a] = Math.max(0, clamp(ends[i]!) - begin[a]!);
        });
        const order = x.layout === 'nchw' ? NCHW_TO_NHWC : x.shape.map((_, i) => i);
        emit(Op.SLICE, [x.tensor, constant(`${out}/begin`, [begin.length], Int32Array.from(order.map((i) => begin[i]!))),
          constant(`${out}/size`, [shape.length], Int32Array.from(order.map((i) => shape[i]!)))], out, shape, x.layout, { kind: 'slice' });
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
        const axis = attr('axis')?.i ?? 0;
        const parts = n.inputs.map(known);
        if (parts.every((c) => c && c.dims.length <= 1)) {
          // Of constants (a Pad's pads, a Resize's sizes): computed here.
          const data = parts.flatMap((c) => c!.data);
          consts.set(out, { dims: [data.length], data });
          break;
        }
        const xs = n.inputs.map(value);
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
        // An NCHW value of one channel has the same element order in NHWC.
        if (x.layout !== 'plain' && x.shape[1] !== 1) throw unsupported(n, 'an NCHW input of several channels (its element order differs in NHWC)');
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
