// The install-time ONNX to TFLite converter (scripts/onnx-to-tflite/): what it writes, what it refuses,
// and that face-detection's converted network answers as its ONNX source does, both run in a real page
// (LiteRT.js and onnxruntime-web) on real photos.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ByteBuffer } from 'flatbuffers';
import { convertOnnxToTflite } from '../scripts/onnx-to-tflite/convert.ts';
import { Op } from '../scripts/onnx-to-tflite/tflite.ts';
import { identityModel } from './helpers/onnx.ts';
import { dataUri } from './helpers/fixtures.ts';
import { postJson, startHarness, type Harness } from './helpers/page.ts';
import { DIST, servedDist } from './helpers/static-dir.ts';

const onnxFile = join(DIST, 'models', 'face-detection', 'model.onnx');

/** Enough of a TFLite FlatBuffer to check its graph: tables by their fields' slots (schema.fbs). */
function readTflite(bytes: Uint8Array) {
  const bb = new ByteBuffer(bytes);
  const table = (pos: number) => ({
    field: (slot: number) => { const o = bb.__offset(pos, 4 + 2 * slot); return o ? pos + o : 0; },
  });
  const vector = (pos: number, at: number) => { const o = table(pos).field(at); return o ? { start: bb.__vector(o), length: bb.__vector_len(o) } : { start: 0, length: 0 }; };
  const tables = (pos: number, at: number) => { const v = vector(pos, at); return Array.from({ length: v.length }, (_, i) => bb.__indirect(v.start + 4 * i)); };
  const int32s = (pos: number, at: number) => { const v = vector(pos, at); return Array.from({ length: v.length }, (_, i) => bb.readInt32(v.start + 4 * i)); };
  const str = (pos: number, at: number) => { const o = table(pos).field(at); return o ? bb.__string(o) as string : ''; };
  const root = bb.readInt32(0);
  const [subgraph] = tables(root, 2);
  const tensors = tables(subgraph!, 0).map((t) => ({ name: str(t, 3), shape: int32s(t, 0) }));
  const int32 = (pos: number, slot: number) => { const o = table(pos).field(slot); return o ? bb.readInt32(o) : 0; };
  const codes = tables(root, 1).map((c) => int32(c, 3));
  const operators = tables(subgraph!, 3).map((o) => codes[int32(o, 0)]!);
  return {
    identifier: new TextDecoder().decode(bytes.subarray(4, 8)), version: int32(root, 0),
    inputs: int32s(subgraph!, 1).map((i) => tensors[i]!), outputs: int32s(subgraph!, 2).map((i) => tensors[i]!), operators,
  };
}

describe('ONNX to TFLite, without a browser', () => {
  it('writes face-detection as a TFLite graph of XNNPACK operators, NHWC, its inputs and outputs named as in ONNX, every Relu fused', () => {
    const model = readTflite(convertOnnxToTflite(readFileSync(onnxFile)));
    assert.equal(model.identifier, 'TFL3');
    assert.equal(model.version, 3);
    assert.deepEqual(model.inputs, [{ name: 'input:0', shape: [1, 256, 256, 3] }]);
    assert.deepEqual(model.outputs, [
      { name: 'Identity:0', shape: [1, 512, 1] }, { name: 'Identity_1:0', shape: [1, 384, 1] },
      { name: 'Identity_2:0', shape: [1, 512, 16] }, { name: 'Identity_3:0', shape: [1, 384, 16] },
    ]);
    const count = (op: number) => model.operators.filter((o) => o === op).length;
    // The ONNX graph's 69 Conv: 1 + 32 + 4 dense, 32 depthwise; its 33 Relu fused into them and the Adds.
    assert.equal(count(Op.CONV_2D) + count(Op.DEPTHWISE_CONV_2D), 69);
    assert.equal(count(Op.DEPTHWISE_CONV_2D), 32);
    assert.equal(count(Op.RELU), 0);
    assert.equal(count(Op.PAD), 2, 'the channel padding of ConstantOfShape and Concat, as PAD');
    assert.deepEqual([...new Set(model.operators)].sort((a, b) => a - b), [Op.ADD, Op.CONV_2D, Op.DEPTHWISE_CONV_2D, Op.MAX_POOL_2D, Op.RESHAPE, Op.PAD].sort((a, b) => a - b));
  });

  it('refuses an operator it does not know, naming it, rather than converting it approximately', () => {
    assert.throws(() => convertOnnxToTflite(identityModel(4)), /Identity "y": this operator is not supported by the ONNX to TFLite converter/);
    assert.throws(() => convertOnnxToTflite(new TextEncoder().encode('not a model')), /not an ONNX model|index out of range|invalid wire type/);
  });
});

describe('ONNX to TFLite, in a real page', () => {
  let h: Harness;
  let dir: string;
  const CONVERTED = ['face-detection', 'line-segments'];
  before(async () => {
    // The bridge's files with one more model per converted one: its ONNX source, which the installer keeps beside it.
    dir = servedDist(CONVERTED, Object.fromEntries(CONVERTED.map((id) => {
      const manifest = JSON.parse(readFileSync(join(DIST, 'models', id, 'model.json'), 'utf8'));
      assert.ok(manifest.file.endsWith('.tflite') && manifest.convertedFrom.endsWith('.onnx'), `${id} is converted`);
      return [`${id}-onnx`, {
        'model.onnx': readFileSync(join(DIST, 'models', id, manifest.convertedFrom)),
        'model.json': JSON.stringify({ ...manifest, id: `${id}-onnx`, file: 'model.onnx', convertedFrom: undefined }),
      }];
    })));
    h = await startHarness({ models: CONVERTED.flatMap((id) => [id, `${id}-onnx`]), staticDir: dir });
  });
  after(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const PHOTOS = [['astronaut.jpg', 'image/jpeg'], ['hand-right.jpg', 'image/jpeg'], ['page.png', 'image/png']] as const;
  /** Both networks' answers to each photo, the converted one first. */
  const answers = async (id: string) => Promise.all(PHOTOS.map(async ([name, type]) => {
    const body = { image: dataUri(name, type) };
    const [tflite, onnx] = await Promise.all([id, `${id}-onnx`].map((m) => postJson(`${h.url}/models/${m}/query`, body)));
    assert.equal(tflite!.status, 200, JSON.stringify(tflite!.body));
    assert.equal(onnx!.status, 200, JSON.stringify(onnx!.body));
    return { name, tflite: tflite!.body, onnx: onnx!.body };
  }));
  const largest = (a: number[], b: number[]) => Math.max(...a.map((v, k) => Math.abs(v - b[k]!)));

  it('finds the same faces as the ONNX network face-detection is converted from, to 1e-4, on LiteRT.js', async () => {
    let faces = 0;
    for (const { name, tflite, onnx } of await answers('face-detection')) {
      assert.equal(tflite.faces.length, onnx.faces.length, name);
      tflite.faces.forEach((f: { box: number[]; score: number; keypoints: number[][] }, i: number) => {
        const g = onnx.faces[i];
        const diff = Math.max(largest(f.box, g.box), Math.abs(f.score - g.score), ...f.keypoints.map((p, k) => largest(p, g.keypoints[k])));
        assert.ok(diff < 1e-4, `${name}: face ${i} differs by ${diff}`);
        faces++;
      });
    }
    assert.equal(faces, 1, 'the astronaut\'s face, and none in the others');
  });

  it('finds the same line segments as the ONNX network line-segments is converted from, to 1e-3', async () => {
    let lines = 0;
    for (const { name, tflite, onnx } of await answers('line-segments')) {
      assert.equal(tflite.lines.length, onnx.lines.length, name);
      tflite.lines.forEach((l: { line: number[]; score: number }, i: number) => {
        const diff = Math.max(largest(l.line, onnx.lines[i].line), Math.abs(l.score - onnx.lines[i].score));
        assert.ok(diff < 1e-3, `${name}: line ${i} differs by ${diff}`);
        lines++;
      });
    }
    assert.ok(lines > 20, `${lines} lines in all`);
  });
});
