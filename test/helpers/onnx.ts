// A tiny ONNX model written by hand (protobuf), for tests of models a program registers as bytes:
// y = x + bias, x and y float32 [1, n].

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}
const key = (field: number, wire: number) => varint(field * 8 + wire);
const int = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const bytes = (field: number, b: number[] | Uint8Array) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...new TextEncoder().encode(s)]);

const FLOAT = 1;

function tensorType(dims: number[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, int(1, d)));
  return bytes(1, [...int(1, FLOAT), ...bytes(2, shape)]); // TypeProto.tensor_type
}
const valueInfo = (name: string, dims: number[]) => [...str(1, name), ...bytes(2, tensorType(dims))];

export function addBiasModel(bias: number[]): Uint8Array {
  const floats = new Uint8Array(new Float32Array(bias).buffer);
  const initializer = [...int(1, bias.length), ...int(2, FLOAT), ...str(8, 'bias'), ...bytes(9, floats)];
  const node = [...str(1, 'x'), ...str(1, 'bias'), ...str(2, 'y'), ...str(3, 'add'), ...str(4, 'Add')];
  const graph = [
    ...bytes(1, node), ...str(2, 'add_bias'), ...bytes(5, initializer),
    ...bytes(11, valueInfo('x', [1, bias.length])), ...bytes(12, valueInfo('y', [1, bias.length])),
  ];
  const opset = [...str(1, ''), ...int(2, 13)];
  return new Uint8Array([...int(1, 8), ...str(2, 'pagebridge-tests'), ...bytes(7, graph), ...bytes(8, opset)]);
}
