// One function per ONNX operator the converter translates (convert.ts runs them in the graph's order):
// each reads its node's inputs as the conversion holds them (conversion.ts) and adds TFLite tensors and
// operators, or computes its output outright when shapes and constants decide it. A new operator is one
// more entry in OPERATORS.
import type { Attribute, OnnxNode } from './onnx.ts';
import { Activation, Op, Padding, TensorType } from './tflite.ts';
import { ints, NCHW_TO_NHWC, nhwc, sameShape, size, unsupported, windowOutput, type Conversion } from './conversion.ts';

/** A node as its function sees it: its (first) output's name and its attributes by name. */
export interface NodeView extends OnnxNode { out: string; attr(name: string): Attribute | undefined }
type Translate = (n: NodeView, cx: Conversion) => void;

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

/** Relu, and Clip to 0..6 (ReLU6): fused into the operator before when it is that operator's only consumer. */
const activation: Translate = (n, cx) => {
  const x = cx.value(n.inputs[0]!);
  let kind: number = Activation.RELU;
  if (n.op === 'Clip') {
    // Clip's bounds are inputs from opset 11 on, attributes before.
    const min = n.inputs[1] ? cx.knownValue(n, 1)[0] : n.attr('min')?.f, max = n.inputs[2] ? cx.knownValue(n, 2)[0] : n.attr('max')?.f;
    if (min !== 0 || max !== 6) throw unsupported(n, `bounds ${min}..${max} (only 0..6, ReLU6)`);
    kind = Activation.RELU6;
  }
  const before = cx.fusableProducer(n.inputs[0]!);
  if (before && 'activation' in before.options) {
    // The previous operator applies it: the activation's output is that operator's.
    before.options.activation = kind;
    cx.values.set(n.out, x);
  } else cx.emit(kind === Activation.RELU ? Op.RELU : Op.RELU6, [x.tensor], n.out, x.shape, x.layout, { kind: 'none' });
};

/** Sub and Mul, of two values alike or of a value and a scalar constant. */
const arithmetic: Translate = (n, cx) => {
  const a = cx.value(n.inputs[0]!), b = cx.operand(n.inputs[1]!, a);
  if (b.shape.length !== 1) sameShape(n, a, b);
  cx.emit(n.op === 'Sub' ? Op.SUB : Op.MUL, [a.tensor, b.tensor], n.out, a.shape, a.layout,
    { kind: n.op === 'Sub' ? 'sub' : 'mul', activation: Activation.NONE });
};

/** The operators covered, by ONNX name. */
export const OPERATORS: Record<string, Translate> = {
  Transpose(n, cx) {
    // Only the edges' layout changes, which the NHWC storage makes free.
    const x = cx.value(n.inputs[0]!);
    const perm = ints(n.attr('perm'), []).join(',');
    if (x.layout === 'plain' && x.shape.length === 4 && perm === '0,3,1,2') cx.values.set(n.out, { tensor: x.tensor, shape: [0, 3, 1, 2].map((i) => x.shape[i]!), layout: 'nchw' });
    else if (x.layout === 'nchw' && perm === '0,2,3,1') cx.values.set(n.out, { tensor: x.tensor, shape: nhwc(x.shape), layout: 'plain' });
    else throw unsupported(n, `perm [${perm}] on a ${x.layout} value`);
  },
  Conv(n, cx) {
    const x = cx.value(n.inputs[0]!);
    if (x.layout !== 'nchw') throw unsupported(n, 'an input not in NCHW');
    const w = cx.floats(n.inputs[1]!);
    const [oc, icPerGroup, kh, kw] = w.dims as [number, number, number, number];
    const group = n.attr('group')?.i ?? 1;
    const strides = ints(n.attr('strides'), [1, 1]), dil = ints(n.attr('dilations'), [1, 1]);
    const pads = ints(n.attr('pads'), [0, 0, 0, 0]);
    if (n.attr('auto_pad')?.s && n.attr('auto_pad')!.s !== 'NOTSET') throw unsupported(n, `auto_pad ${n.attr('auto_pad')!.s}`);
    const [, c, h, wd] = x.shape as [number, number, number, number];
    const pad = padding(h, wd, [kh, kw], strides, dil, pads);
    if (pad === undefined) throw unsupported(n, `pads [${pads}] that are neither SAME nor VALID`);
    const oh = windowOutput(h, kh, strides[0]!, dil[0]!, pads[0]!, pads[2]!), ow = windowOutput(wd, kw, strides[1]!, dil[1]!, pads[1]!, pads[3]!);
    const bias = n.inputs[2] ? cx.floats(n.inputs[2]).data : new Float32Array(oc);
    const biasT = cx.constant(`${n.out}/bias`, [oc], bias);
    if (group === 1) {
      // [O, I, kh, kw] → [O, kh, kw, I]
      const filter = cx.constant(`${n.out}/filter`, [oc, kh, kw, icPerGroup], permute(w.data, w.dims, [0, 2, 3, 1]));
      cx.emit(Op.CONV_2D, [x.tensor, filter, biasT], n.out, [1, oc, oh, ow], 'nchw',
        { kind: 'conv', padding: pad, strideW: strides[1]!, strideH: strides[0]!, activation: Activation.NONE, dilationW: dil[1]!, dilationH: dil[0]! });
    } else if (group === c && icPerGroup === 1) {
      // [O, 1, kh, kw] → [1, kh, kw, O]
      const filter = cx.constant(`${n.out}/filter`, [1, kh, kw, oc], permute(w.data, w.dims, [1, 2, 3, 0]));
      cx.emit(Op.DEPTHWISE_CONV_2D, [x.tensor, filter, biasT], n.out, [1, oc, oh, ow], 'nchw',
        { kind: 'depthwise', padding: pad, strideW: strides[1]!, strideH: strides[0]!, depthMultiplier: oc / c, activation: Activation.NONE, dilationW: dil[1]!, dilationH: dil[0]! });
    } else throw unsupported(n, `group ${group} (only 1 and depthwise)`);
  },
  Add(n, cx) {
    const [a, b] = [cx.value(n.inputs[0]!), cx.value(n.inputs[1]!)];
    sameShape(n, a, b);
    cx.emit(Op.ADD, [a.tensor, b.tensor], n.out, a.shape, a.layout, { kind: 'add', activation: Activation.NONE });
  },
  Relu: activation,
  Clip: activation,
  Sub: arithmetic,
  Mul: arithmetic,
  Sigmoid(n, cx) {
    const x = cx.value(n.inputs[0]!);
    cx.emit(Op.LOGISTIC, [x.tensor], n.out, x.shape, x.layout, { kind: 'none' });
  },
  Equal(n, cx) {
    const [a, b] = [cx.value(n.inputs[0]!), cx.value(n.inputs[1]!)];
    sameShape(n, a, b);
    const t = cx.tensor(n.out, a.layout === 'nchw' ? nhwc(a.shape) : a.shape, TensorType.BOOL);
    cx.values.set(n.out, { tensor: t, shape: a.shape, layout: a.layout });
    cx.model.operators.push({ op: Op.EQUAL, inputs: [a.tensor, b.tensor], outputs: [t], options: { kind: 'equal' } });
  },
  Cast(n, cx) {
    // From Equal's booleans to float32 (ONNX's type 1), the one cast these networks make.
    const x = cx.value(n.inputs[0]!);
    if (n.attr('to')?.i !== 1 || cx.model.tensors[x.tensor]!.type !== TensorType.BOOL) throw unsupported(n, 'a cast other than bool to float32');
    cx.emit(Op.CAST, [x.tensor], n.out, x.shape, x.layout, { kind: 'cast', from: TensorType.BOOL, to: TensorType.FLOAT32 });
  },
  Pad(n, cx) {
    const x = cx.value(n.inputs[0]!);
    const mode = n.attr('mode')?.s ?? 'constant';
    const fill = n.inputs[2] ? cx.knownValue(n, 2)[0] : 0;
    if (x.layout !== 'nchw' || mode !== 'constant' || fill !== 0) throw unsupported(n, `mode ${mode}, value ${fill} or a non-NCHW input`);
    const pads = n.inputs[1] ? cx.knownValue(n, 1) : ints(n.attr('pads'), []);
    if (pads.length !== 8) throw unsupported(n, `pads [${pads}]`);
    const paddings = Int32Array.from(NCHW_TO_NHWC.flatMap((axis) => [pads[axis]!, pads[axis + 4]!]));
    const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + 4]!);
    cx.emit(Op.PAD, [x.tensor, cx.constant(`${n.out}/paddings`, [4, 2], paddings)], n.out, shape, 'nchw', { kind: 'pad' });
  },
  Resize(n, cx) {
    const x = cx.value(n.inputs[0]!);
    const mode = n.attr('mode')?.s ?? 'nearest', coords = n.attr('coordinate_transformation_mode')?.s ?? 'half_pixel';
    if (x.layout !== 'nchw' || mode !== 'linear' || !['half_pixel', 'align_corners', 'asymmetric'].includes(coords)) throw unsupported(n, `mode ${mode}, ${coords}`);
    const sizes = n.inputs[3] ? cx.knownValue(n, 3) : cx.knownValue(n, 2).map((scale, i) => Math.floor(x.shape[i]! * scale));
    if (sizes[0] !== x.shape[0] || sizes[1] !== x.shape[1]) throw unsupported(n, 'a resize of the batch or channels');
    const sizeT = cx.constant(`${n.out}/size`, [2], Int32Array.from(sizes.slice(2)));
    cx.emit(Op.RESIZE_BILINEAR, [x.tensor, sizeT], n.out, sizes, 'nchw',
      { kind: 'resize', alignCorners: coords === 'align_corners', halfPixelCenters: coords === 'half_pixel' });
  },
  Shape(n, cx) {
    const x = cx.value(n.inputs[0]!);
    cx.consts.set(n.out, { dims: [x.shape.length], data: x.shape });
  },
  Split(n, cx) {
    // Of a constant, along its only axis (exporters compute pads so).
    const c = cx.knownValue(n, 0);
    const parts = ints(n.attr('split'), n.outputs.map(() => c.length / n.outputs.length));
    let at = 0;
    n.outputs.forEach((o, i) => { cx.consts.set(o, { dims: [parts[i]!], data: c.slice(at, at + parts[i]!) }); at += parts[i]!; });
  },
  Slice(n, cx) {
    const starts = cx.knownValue(n, 1), ends = cx.knownValue(n, 2);
    const c = cx.known(n.inputs[0]!);
    if (c) {
      // Of a constant (a shape): computed here.
      if (c.dims.length !== 1 || (n.inputs[3] && cx.knownValue(n, 3).some((a) => a !== 0))) throw unsupported(n, 'a constant of more than one axis');
      const data = c.data.slice(starts[0]!, Math.min(ends[0]!, c.data.length));
      cx.consts.set(n.out, { dims: [data.length], data });
      return;
    }
    const x = cx.value(n.inputs[0]!);
    const axes = n.inputs[3] ? cx.knownValue(n, 3) : starts.map((_, i) => i);
    if (n.inputs[4] && cx.knownValue(n, 4).some((s) => s !== 1)) throw unsupported(n, 'steps other than 1');
    const begin = x.shape.map(() => 0), shape = [...x.shape];
    axes.forEach((axis, i) => {
      const a = axis < 0 ? axis + x.shape.length : axis, dim = x.shape[a]!;
      const clamp = (v: number) => Math.max(0, Math.min(dim, v < 0 ? v + dim : v));
      begin[a] = clamp(starts[i]!);
      shape[a] = Math.max(0, clamp(ends[i]!) - begin[a]!);
    });
    const order = x.layout === 'nchw' ? NCHW_TO_NHWC : x.shape.map((_, i) => i);
    cx.emit(Op.SLICE, [x.tensor, cx.constant(`${n.out}/begin`, [begin.length], Int32Array.from(order.map((i) => begin[i]!))),
      cx.constant(`${n.out}/size`, [shape.length], Int32Array.from(order.map((i) => shape[i]!)))], n.out, shape, x.layout, { kind: 'slice' });
  },
  MaxPool(n, cx) {
    const x = cx.value(n.inputs[0]!);
    if (x.layout !== 'nchw') throw unsupported(n, 'an input not in NCHW');
    const k = ints(n.attr('kernel_shape'), []), strides = ints(n.attr('strides'), [1, 1]), pads = ints(n.attr('pads'), [0, 0, 0, 0]);
    if ((n.attr('ceil_mode')?.i ?? 0) !== 0 || ints(n.attr('dilations'), [1, 1]).some((d) => d !== 1)) throw unsupported(n, 'ceil_mode or dilations');
    const [, c, h, w] = x.shape as [number, number, number, number];
    const pad = padding(h, w, k, strides, [1, 1], pads);
    if (pad === undefined) throw unsupported(n, `pads [${pads}]`);
    const oh = windowOutput(h, k[0]!, strides[0]!, 1, pads[0]!, pads[2]!), ow = windowOutput(w, k[1]!, strides[1]!, 1, pads[1]!, pads[3]!);
    cx.emit(Op.MAX_POOL_2D, [x.tensor], n.out, [1, c, oh, ow], 'nchw',
      { kind: 'pool', padding: pad, strideW: strides[1]!, strideH: strides[0]!, filterW: k[1]!, filterH: k[0]!, activation: Activation.NONE });
  },
  ConstantOfShape(n, cx) {
    // A constant of the graph's own (BlazeFace pads channels with zeros this way): NCHW, stored NHWC.
    const shape = [...cx.weight(n.inputs[0]!).data].map(Number);
    const fill = n.attr('value')?.t?.data[0] ?? 0;
    if (shape.length !== 4 || typeof fill !== 'number') throw unsupported(n, `shape [${shape}] or its value`);
    const t = cx.constant(n.out, nhwc(shape), new Float32Array(size(shape)).fill(fill));
    cx.values.set(n.out, { tensor: t, shape, layout: 'nchw' });
    if (fill === 0) cx.zeros.add(n.out);
  },
  Concat(n, cx) {
    const axis = n.attr('axis')?.i ?? 0;
    const parts = n.inputs.map((i) => cx.known(i));
    if (parts.every((c) => c && c.dims.length <= 1)) {
      // Of constants (a Pad's pads, a Resize's sizes): computed here.
      const data = parts.flatMap((c) => c!.data);
      cx.consts.set(n.out, { dims: [data.length], data });
      return;
    }
    const xs = n.inputs.map((i) => cx.value(i));
    if (xs.some((x) => x.layout !== 'nchw') || xs[0]!.shape.length !== 4) throw unsupported(n, 'inputs not all 4-D NCHW');
    const a = axis < 0 ? axis + 4 : axis;
    const shape = [...xs[0]!.shape];
    shape[a] = xs.reduce((s, x) => s + x.shape[a]!, 0);
    if (xs.length === 2 && cx.zeros.has(n.inputs[1]!)) {
      // Zeros after a value: a PAD, which XNNPACK runs in place of a concatenation with a constant.
      const paddings = new Int32Array(8);
      paddings[NCHW_TO_NHWC.indexOf(a) * 2 + 1] = xs[1]!.shape[a]!;
      const p = cx.constant(`${n.out}/paddings`, [4, 2], paddings);
      cx.emit(Op.PAD, [xs[0]!.tensor, p], n.out, shape, 'nchw', { kind: 'pad' });
      return;
    }
    cx.emit(Op.CONCATENATION, xs.map((x) => x.tensor), n.out, shape, 'nchw', { kind: 'concat', axis: NCHW_TO_NHWC.indexOf(a), activation: Activation.NONE });
  },
  Reshape(n, cx) {
    const x = cx.value(n.inputs[0]!);
    // An NCHW value of one channel has the same element order in NHWC.
    if (x.layout !== 'plain' && x.shape[1] !== 1) throw unsupported(n, 'an NCHW input of several channels (its element order differs in NHWC)');
    const target = [...cx.weight(n.inputs[1]!).data].map(Number).map((d, i) => (d === 0 ? x.shape[i]! : d));
    const fixed = size(target.filter((d) => d !== -1));
    const shape = target.map((d) => (d === -1 ? size(x.shape) / fixed : d));
    const shapeT = cx.constant(`${n.out}/shape`, [shape.length], Int32Array.from(shape));
    cx.emit(Op.RESHAPE, [x.tensor, shapeT], n.out, shape, 'plain', { kind: 'reshape', newShape: shape });
  },
};
