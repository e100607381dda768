// KServe v2 REST end to end: the real bridge, a real headless Chromium page running face detection, and
// the client written from the protocol's specification (examples/python/kserve_client.py); then a .onnx
// dropped on the page, served as the network's own tensors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startHarness, until, type Harness } from './helpers/page.ts';
import { affineModel } from './helpers/onnx.ts';
import { assertFaces } from './helpers/assertions.ts';

const CLIENT = fileURLToPath(new URL('../examples/python/kserve_client.py', import.meta.url));
const ASTRONAUT = fileURLToPath(new URL('./fixtures/astronaut.jpg', import.meta.url));

async function py(...args: string[]): Promise<any> {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [CLIENT, ...args]);
  return JSON.parse(stdout);
}

describe('KServe v2 with the real page', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h?.close(); });

  it('finds the astronaut\'s face: the photo as binary data in, the faces as JSON text out, and /data follows', async () => {
    assert.deepEqual(await py('--url', h.url, 'health'), { live: true, ready: true });
    const meta = await py('--url', h.url, 'metadata', 'face-detection');
    assert.deepEqual(meta.inputs, [{ name: 'image', datatype: 'BYTES', shape: [1] }]);
    assert.deepEqual(meta.outputs, [{ name: 'faces', datatype: 'BYTES', shape: [1] }]);

    const answer = await py('--url', h.url, 'infer', 'face-detection', '--image', `image=${ASTRONAUT}`, '--binary-inputs');
    assert.equal(answer.status, 200, JSON.stringify(answer));
    const faces = JSON.parse(answer.outputs.faces.data[0]);
    assertFaces({ faces });
    assert.deepEqual((await (await fetch(`${h.url}/models/face-detection/data`)).json()), { faces });

    // The photo as base64 in JSON, the faces as binary data: the same answer.
    const binary = await py('--url', h.url, 'infer', 'face-detection', '--image', `image=${ASTRONAUT}`, '--binary-outputs');
    assert.equal(binary.binary, true);
    assert.deepEqual(JSON.parse(binary.outputs.faces.data[0]), faces);
  });

  it('serves a dropped .onnx as its own tensors, binary both ways; a shape the network refuses is a 400', async () => {
    await h.page.setInputFiles('#onnx-input', { name: 'Affine.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(affineModel()) });
    const meta = await until(async () => {
      const m = await py('--url', h.url, 'metadata', 'affine');
      return m.status === 200 ? m : undefined;
    }, 20_000, 'the bridge to know the dropped model');
    assert.deepEqual(meta, {
      status: 200, name: 'affine', versions: ['1'], platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 4] }],
    });
    await until(async () => (await fetch(`${h.url}/v2/models/affine/ready`)).status === 200, 20_000, 'the dropped model to be ready');
    const answer = await py('--url', h.url, 'infer', 'affine', '--tensor', 'x=FP32:2,4:[1,2,3,4,5,6,7,8]', '--binary-inputs', '--binary-outputs');
    assert.deepEqual(answer, {
      status: 200, binary: true, model_name: 'affine', id: null,
      outputs: { y: { datatype: 'FP32', shape: [2, 4], data: [3, 5, 7, 9, 11, 13, 15, 17] } },
    });
    const refused = await py('--url', h.url, 'infer', 'affine', '--tensor', 'x=FP32:2,3:[1,2,3,4,5,6]');
    assert.equal(refused.status, 400, JSON.stringify(refused));
    assert.match(refused.error, /invalid dimensions for input: x/);
  });
});
