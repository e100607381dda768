// Reads the parts of an ONNX model (protobuf) that the converter needs: the graph's nodes with their
// attributes, its initializers as typed arrays, its inputs and outputs with their shapes.
import protobuf from 'protobufjs/minimal.js';

export type Data = Float32Array | Int32Array | BigInt64Array;
export interface Initializer { dims: number[]; data: Data }
export interface Attribute { i?: number; f?: number; s?: string; ints?: number[]; t?: Initializer }
export interface OnnxNode { op: string; inputs: string[]; outputs: string[]; attrs: Map<string, Attribute> }
export interface ValueInfo { name: string; dims: (number | string)[] }
export interface OnnxGraph { nodes: OnnxNode[]; initializers: Map<string, Initializer>; inputs: ValueInfo[]; outputs: ValueInfo[] }

type Reader = protobuf.Reader;
const { Reader: ProtoReader } = protobuf;

/** Calls `field` for each field of the message that ends at `end`; unknown fields are skipped. */
function fields(r: Reader, end: number, field: (no: number, wire: number) => boolean): void {
  while (r.pos < end) {
    const tag = r.uint32();
    if (!field(tag >>> 3, tag & 7)) r.skipType(tag & 7);
  }
}

const sub = (r: Reader) => r.uint32() + r.pos;
const long = (r: Reader) => Number(r.int64().toString());

/** Repeated integers, packed or not. */
function ints(r: Reader, wire: number, out: number[]): void {
  if (wire !== 2) { out.push(long(r)); return; }
  const end = sub(r);
  while (r.pos < end) out.push(long(r));
}

const FLOAT = 1, INT32 = 6, INT64 = 7;

function tensor(r: Reader, end: number): Initializer & { name: string } {
  const dims: number[] = [];
  let type = 0, name = '', raw: Uint8Array | undefined;
  const floats: number[] = [], int64s: number[] = [], int32s: number[] = [];
  fields(r, end, (no, wire) => {
    if (no === 1) ints(r, wire, dims);
    else if (no === 2) type = r.int32();
    else if (no === 4) {
      if (wire === 2) { const e = sub(r); while (r.pos < e) floats.push(r.float()); } else floats.push(r.float());
    } else if (no === 5) ints(r, wire, int32s);
    else if (no === 7) ints(r, wire, int64s);
    else if (no === 8) name = r.string();
    else if (no === 9) raw = r.bytes();
    else return false;
    return true;
  });
  const size = dims.reduce((a, b) => a * b, 1);
  // A copy, aligned for the typed array (protobufjs gives a view into the whole file).
  const copy = raw && new Uint8Array(raw).buffer;
  let data: Data;
  if (type === FLOAT) data = copy ? new Float32Array(copy) : Float32Array.from(floats);
  else if (type === INT32) data = copy ? new Int32Array(copy) : Int32Array.from(int32s);
  else if (type === INT64) data = copy ? new BigInt64Array(copy) : BigInt64Array.from(int64s.map(BigInt));
  else throw new Error(`initializer "${name}": element type ${type} is not supported (float, int32 and int64 are)`);
  if (data.length !== size) throw new Error(`initializer "${name}": ${data.length} values for dims [${dims}]`);
  return { name, dims, data };
}

function attribute(r: Reader, end: number): [string, Attribute] {
  let name = '';
  const a: Attribute = {};
  fields(r, end, (no, wire) => {
    if (no === 1) name = r.string();
    else if (no === 2) a.f = r.float();
    else if (no === 3) a.i = long(r);
    else if (no === 4) a.s = new TextDecoder().decode(r.bytes());
    else if (no === 5) a.t = tensor(r, sub(r));
    else if (no === 8) ints(r, wire, (a.ints ??= []));
    else return false;
    return true;
  });
  return [name, a];
}

function node(r: Reader, end: number): OnnxNode {
  const n: OnnxNode = { op: '', inputs: [], outputs: [], attrs: new Map() };
  fields(r, end, (no) => {
    if (no === 1) n.inputs.push(r.string());
    else if (no === 2) n.outputs.push(r.string());
    else if (no === 4) n.op = r.string();
    else if (no === 5) n.attrs.set(...attribute(r, sub(r)));
    else return false;
    return true;
  });
  return n;
}

/** ValueInfoProto → its name and the dims of its tensor type (a name where a dimension is symbolic). */
function valueInfo(r: Reader, end: number): ValueInfo {
  const v: ValueInfo = { name: '', dims: [] };
  fields(r, end, (no) => {
    if (no === 1) v.name = r.string();
    else if (no === 2) {
      // TypeProto.tensor_type (1) → TensorShapeProto shape (2) → dim (1) → dim_value (1) | dim_param (2).
      fields(r, sub(r), (t) => {
        if (t !== 1) return false;
        fields(r, sub(r), (tt) => {
          if (tt !== 2) return false;
          fields(r, sub(r), (s) => {
            if (s !== 1) return false;
            let dim: number | string = '?';
            fields(r, sub(r), (d) => {
              if (d === 1) dim = long(r);
              else if (d === 2) dim = r.string();
              else return false;
              return true;
            });
            v.dims.push(dim);
            return true;
          });
          return true;
        });
        return true;
      });
    } else return false;
    return true;
  });
  return v;
}

/** The graph of an ONNX model's bytes. */
export function readOnnx(bytes: Uint8Array): OnnxGraph {
  const r = ProtoReader.create(bytes);
  const g: OnnxGraph = { nodes: [], initializers: new Map(), inputs: [], outputs: [] };
  let found = false;
  fields(r, bytes.length, (no) => {
    if (no !== 7) return false;
    found = true;
    fields(r, sub(r), (f) => {
      if (f === 1) g.nodes.push(node(r, sub(r)));
      else if (f === 5) { const t = tensor(r, sub(r)); g.initializers.set(t.name, t); }
      else if (f === 11) g.inputs.push(valueInfo(r, sub(r)));
      else if (f === 12) g.outputs.push(valueInfo(r, sub(r)));
      else return false;
      return true;
    });
    return true;
  });
  if (!found) throw new Error('not an ONNX model: no graph');
  // Graph inputs that are initializers too (older exporters list them) are weights, not inputs.
  g.inputs = g.inputs.filter((i) => !g.initializers.has(i.name));
  return g;
}
