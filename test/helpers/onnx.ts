// Writes small ONNX models (protobuf by hand) so tests and benchmarks can make the graphs they need.
// Only what those graphs use: float tensors, one opset, nodes with no attributes.

const enum Wire { Varint = 0, Bytes = 2 }

class Writer {
  private parts: number[] = [];
  varint(v: number | bigint): this {
    let n = BigInt(v);
    if (n < 0n) n += 1n << 64n;
    do {
      let byte = Number(n & 0x7fn);
      n >>= 7n;
      if (n) byte |= 0x80;
      this.parts.push(byte);
    } while (n);
    return this;
  }
  tag(field: number, wire: Wire): this { return this.varint((field << 3) | wire); }
  int(field: number, v: number | bigint): this { return this.tag(field, Wire.Varint).varint(v); }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, Wire.Bytes).varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  string(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  message(field: number, build: (w: Writer) => void): this {
    const w = new Writer();
    build(w);
    return this.bytes(field, w.done());
  }
  done(): Uint8Array { return Uint8Array.from(this.parts); }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT

export interface GraphSpec {
  /** Inputs and outputs: name and dims (a string is a symbolic dimension, such as "N"). */
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims: (number | string)[] }[];
  nodes: { op: string; inputs: string[]; outputs: string[] }[];
  /** Constant float tensors the nodes may use by name. */
  constants?: { name: string; dims: number[]; values: number[] }[];
}

export function onnxModel(spec: GraphSpec): Uint8Array {
  const valueInfo = (w: Writer, v: { name: string; dims: (number | string)[] }) => {
    w.string(1, v.name).message(2, (t) => t.message(1, (tt) => {
      tt.int(1, FLOAT).message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }));
  };
  return new Writer()
    .int(1, 8) // ir_version
    .string(2, 'pagebridge-test')
    .message(7, (g) => {
      spec.nodes.forEach((n, i) => g.message(1, (node) => {
        for (const x of n.inputs) node.string(1, x);
        for (const x of n.outputs) node.string(2, x);
        node.string(3, `node${i}`).string(4, n.op);
      }));
      g.string(2, 'graph');
      for (const c of spec.constants ?? []) {
        g.message(5, (t) => {
          for (const d of c.dims) t.int(1, d);
          t.int(2, FLOAT).string(8, c.name).bytes(9, new Uint8Array(Float32Array.from(c.values).buffer));
        });
      }
      for (const v of spec.inputs) g.message(11, (w) => valueInfo(w, v));
      for (const v of spec.outputs) g.message(12, (w) => valueInfo(w, v));
    })
    .message(8, (o) => o.string(1, '').int(2, 13)) // opset_import: default domain, opset 13
    .done();
}

/** y = x * 2 + 1 over float32 [N, 4]: small, and its answer is easy to check. */
export function affineModel(): Uint8Array {
  return onnxModel({
    inputs: [{ name: 'x', dims: ['N', 4] }],
    outputs: [{ name: 'y', dims: ['N', 4] }],
    constants: [{ name: 'two', dims: [], values: [2] }, { name: 'one', dims: [], values: [1] }],
    nodes: [{ op: 'Mul', inputs: ['x', 'two'], outputs: ['t'] }, { op: 'Add', inputs: ['t', 'one'], outputs: ['y'] }],
  });
}

/** y = x over float32 [1, n]: for measuring what the bridge adds around a model that does nothing. */
export function identityModel(n: number): Uint8Array {
  return onnxModel({
    inputs: [{ name: 'x', dims: [1, n] }],
    outputs: [{ name: 'y', dims: [1, n] }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  });
}

/** y = x + bias over float32 [1, n]: a model a runtime program registers from bytes. */
export function addBiasModel(bias: number[]): Uint8Array {
  return onnxModel({
    inputs: [{ name: 'x', dims: [1, bias.length] }],
    outputs: [{ name: 'y', dims: [1, bias.length] }],
    constants: [{ name: 'bias', dims: [bias.length], values: bias }],
    nodes: [{ op: 'Add', inputs: ['x', 'bias'], outputs: ['y'] }],
  });
}
