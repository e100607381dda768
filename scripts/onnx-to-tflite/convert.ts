// Converts an ONNX convolutional network into a TFLite one that LiteRT.js runs on XNNPACK, the same
// arithmetic in TFLite's layout. ONNX convolutions are NCHW, TFLite's NHWC: a 4-D activation the ONNX
// graph holds as NCHW is kept in NHWC, and the Transposes an exporter put at the graph's NHWC edges
// become nothing. What the graph computes from constants and shapes alone (a Resize's sizes, a Pad's
// pads) is computed here. The operators covered (operators.ts) are those of the networks pagebridge
// converts (face-detection's BlazeFace, line-segments' M-LSD): Conv (dense and depthwise), Add, Sub, Mul,
// Relu, Clip to 0..6, Sigmoid, MaxPool, Pad, Resize (linear), Concat, Slice, Split, Shape, Equal, Cast,
// ConstantOfShape, Transpose at the edges, Reshape. Anything else is refused with the operator named,
// never converted approximately.
import { readOnnx } from './onnx.ts';
import { writeTflite } from './tflite.ts';
import { Conversion, unsupported } from './conversion.ts';
import { OPERATORS } from './operators.ts';

export function convertOnnxToTflite(onnx: Uint8Array, description = 'converted from ONNX by pagebridge'): Uint8Array {
  const g = readOnnx(onnx);
  const cx = new Conversion(g, description);
  for (const i of g.inputs) {
    if (!i.dims.every((d) => typeof d === 'number' && d > 0)) throw new Error(`input "${i.name}" must have fixed dims, not [${i.dims}]`);
    const shape = i.dims as number[];
    const t = cx.tensor(i.name, shape);
    cx.values.set(i.name, { tensor: t, shape, layout: 'plain' });
    cx.model.inputs.push(t);
  }
  for (const n of g.nodes) {
    const translate = OPERATORS[n.op];
    if (!translate) throw unsupported(n, 'this operator');
    translate({ ...n, out: n.outputs[0]!, attr: (name) => n.attrs.get(name) }, cx);
  }
  for (const o of g.outputs) {
    const v = cx.value(o.name);
    if (v.layout !== 'plain') throw new Error(`output "${o.name}" is NCHW inside the graph; only NHWC or flat outputs convert`);
    // The output keeps its ONNX name, so that code reading outputs by name reads either network alike.
    cx.model.tensors[v.tensor]!.name = o.name;
    cx.model.outputs.push(v.tensor);
  }
  return writeTflite(cx.model);
}
