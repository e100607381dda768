// The engine seam without a browser: JSON ⇄ tensors (the one conversion the tensor adapter and program
// workers share), which engine a model gets, model info from a network's graph, and the warm-up's
// zeros after an engine's check.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tensorFromJson, tensorToJson, TENSOR_TYPES } from '../web/runtime/engines/tensor.ts';
import { engineFor, engineName } from '../web/runtime/engines/index.ts';
import { infoFromGraph } from '../web/runtime/adapters/tensor.ts';
import { TrackStates } from '../web/runtime/adapters/tracks.ts';
import { litertBuild, litertThreads } from '../web/runtime/engines/tflite/loader.ts';
import type { Network } from '../web/runtime/engines/engine.ts';
import type { Adapter } from '../web/runtime/adapters/adapter.ts';
import { warmUpModel } from '../web/runtime/warm-up.ts';
import type { ModelManifest } from '../web/contract/index.ts';

describe('tensors from JSON', () => {
  it('makes the typed array of every element type, the hint standing in for a missing dtype', () => {
    const expected: Record<string, string> = {
      float32: 'Float32Array', float64: 'Float64Array', int8: 'Int8Array', uint8: 'Uint8Array', int16: 'Int16Array', uint16: 'Uint16Array',
      int32: 'Int32Array', uint32: 'Uint32Array', int64: 'BigInt64Array', uint64: 'BigUint64Array', bool: 'Uint8Array',
    };
    for (const [dtype, name] of Object.entries(expected)) {
      const t = tensorFromJson('x', { dtype, dims: [2, 1], data: [1, 0] });
      assert.equal(t.data.constructor.name, name, dtype);
      assert.deepEqual(t.dims, [2, 1]);
      assert.equal(t.type, dtype);
    }
    assert.equal(tensorFromJson('x', { dims: [1], data: [3] }, 'int64').data.constructor.name, 'BigInt64Array');
    assert.equal(tensorFromJson('x', { dims: [1], data: [3] }).type, 'float32');
    assert.deepEqual(tensorFromJson('x', { dtype: 'string', dims: [2], data: ['a', 'b'] }).data, ['a', 'b']);
    assert.deepEqual([...(tensorFromJson('x', { dtype: 'bool', dims: [2], data: [true, false] }).data as Uint8Array)], [1, 0]);
    assert.deepEqual([...(tensorFromJson('x', { dtype: 'int64', dims: [2], data: [2.7, -1] }).data as BigInt64Array)], [2n, -1n]);
    assert.deepEqual([...(tensorFromJson('x', { dtype: 'float32', dims: [2], data: new Float64Array([0.5, 1]) }).data as Float32Array)], [0.5, 1]);
    assert.ok(TENSOR_TYPES.includes('string'));
  });

  it('refuses what is no tensor, dims that do not hold the data, bad dims, unknown types and numbers no integer type holds', () => {
    const refused = (value: unknown, pattern: RegExp) => assert.throws(() => tensorFromJson('x', value),
      (err: Error) => err.name === 'InputError' && pattern.test(err.message), JSON.stringify(value));
    refused(undefined, /input "x" must be a tensor/);
    refused([1, 2], /must be a tensor/);
    refused({ dims: [2], data: 'ab' }, /must be a tensor/);
    refused({ dims: [2, 2], data: [1, 2, 3] }, /dims \[2, 2\] hold 4 values, data has 3/);
    refused({ dims: [-1], data: [] }, /dims must be whole numbers/);
    refused({ dims: [1.5], data: [1] }, /dims must be whole numbers/);
    refused({ dtype: 'complex64', dims: [1], data: [1] }, /dtype "complex64" is not supported \(float32,/);
    refused({ dtype: 'int64', dims: [1], data: ['x'] }, /x at \[0\] is no int64/);
  });

  it('turns 64-bit integers back into numbers', () => {
    assert.deepEqual(tensorToJson({ type: 'int64', dims: [2], data: new BigInt64Array([5n, -2n]) }), { dtype: 'int64', dims: [2], data: [5, -2] });
    assert.deepEqual(tensorToJson({ type: 'float32', dims: [1, 1], data: new Float32Array([0.25]) }), { dtype: 'float32', dims: [1, 1], data: [0.25] });
  });
});

describe('engines', () => {
  it('picks the engine a model names, or the one its network file implies, or ONNX', () => {
    assert.equal(engineName({ file: 'model.onnx' }), 'onnx');
    assert.equal(engineName({ file: 'keys.txt', assets: [{ file: 'keys.txt' }, { file: 'det.onnx' }] }), 'onnx');
    assert.equal(engineName({ file: 'pose.tflite', engine: 'tflite' }), 'tflite');
    assert.equal(engineName({ file: 'pose.tflite' }), 'tflite');
    assert.equal(engineName({ file: 'weights.bin' }), 'onnx');
  });

  it('refuses an engine this runtime does not have, naming the ones it has', async () => {
    await assert.rejects(engineFor({ id: 'm', file: 'm.bin', engine: 'nope' }), /model "m" names engine "nope", which this runtime does not have \(onnx, tflite\)/);
  });

  it('picks the LiteRT.js build and its threads as the browser allows', () => {
    assert.equal(litertBuild({ relaxedSimd: true, threads: true, isolated: true }), 'threaded');
    assert.equal(litertBuild({ relaxedSimd: true, threads: true, isolated: false }), 'simd');
    assert.equal(litertBuild({ relaxedSimd: true, threads: false, isolated: true }), 'simd');
    assert.equal(litertBuild({ relaxedSimd: false, threads: true, isolated: true }), 'compat');
    assert.equal(litertThreads('threaded', 2), 2);
    assert.equal(litertThreads('threaded', 32), 8);
    assert.equal(litertThreads('threaded', undefined), 1);
    assert.equal(litertThreads('simd', 16), 1);
  });

  it('describes a network as Runway info: one tensor port per input and output', () => {
    const info = infoFromGraph({
      inputs: [{ name: 'x', type: 'float32', shape: [1, 'n', -1] }],
      outputs: [{ name: 'y', type: 'int64', shape: [3] }, { name: 'seq' }],
    });
    assert.deepEqual(info.inputs, [{ name: 'x', type: 'tensor', dtype: 'float32', dims: [1, 'n', '-1'], description: 'float32 [1, n, -1]' }]);
    assert.deepEqual(info.outputs, [
      { name: 'y', type: 'tensor', dtype: 'int64', dims: [3], description: 'int64 [3]' },
      { name: 'seq', type: 'tensor', description: 'a non-tensor value' },
    ]);
  });
});

describe('tracking state per live client', () => {
  it('keeps each key apart, none without a key, forgets on request, and drops the least recently used past its capacity', () => {
    const t = new TrackStates<number>(2);
    t.set(undefined, 1);
    assert.equal(t.get(undefined), undefined, 'a query that stands alone has no state');
    assert.equal(t.size, 0);
    t.set('socketio:a', 1);
    t.set('socketio:b', 2);
    assert.equal(t.get('socketio:a'), 1);
    assert.equal(t.get('socketio:b'), 2);
    t.get('socketio:a'); // a used last: b goes first
    t.set('osc:c', 3);
    assert.deepEqual([t.get('socketio:a'), t.get('socketio:b'), t.get('osc:c')], [1, undefined, 3]);
    t.set('osc:c', undefined);
    assert.equal(t.get('osc:c'), undefined, 'tracking lost');
    assert.equal(t.size, 1);
  });
});

describe("the warm-up after an engine's check", () => {
  /** Warms a model of two fixed-shape networks up; what ran, in order ("query" for the adapter's runs). */
  async function warm(inputs: ModelManifest['inputs'], ranOnZeros: boolean): Promise<{ runs: number; ran: string[] }> {
    const ran: string[] = [];
    const network = (name: string): Network => ({
      inputs: [{ name: 'x', type: 'float32', shape: [1, 4] }], outputs: [],
      run: async () => { ran.push(name); return {}; }, release: async () => {},
    });
    const networks = { detector: network('detector'), landmarks: network('landmarks') };
    const manifest = { id: 'm', title: 'm', file: 'm.onnx', adapter: 'fake', inputs, outputs: [] } as ModelManifest;
    const adapter: Adapter = { run: async () => { ran.push('query'); return {}; } };
    const { runs } = await warmUpModel(manifest, adapter, { network: networks.detector, networks, files: {}, manifest },
      (work) => work(), ranOnZeros);
    return { runs, ran };
  }
  const count = (ran: string[], name: string) => ran.filter((r) => r === name).length;
  const withSamples = [{ name: 'threshold', type: 'number', default: 0.5 }] as ModelManifest['inputs'];
  const zerosOnly = [{ name: 'x', type: 'tensor' }] as ModelManifest['inputs'];

  it("runs each network on zeros one time fewer where the engine's check ran them at load", async () => {
    const checked = await warm(withSamples, true);
    assert.deepEqual(checked.ran.slice(0, 4), ['query', 'query', 'detector', 'landmarks'], 'the first run leaves the zeros out');
    assert.equal(count(checked.ran, 'query'), checked.runs);
    assert.equal(count(checked.ran, 'detector'), checked.runs - 1);
    assert.equal(count(checked.ran, 'landmarks'), checked.runs - 1);

    const unchecked = await warm(withSamples, false);
    assert.deepEqual(unchecked.ran.slice(0, 3), ['query', 'detector', 'landmarks']);
    assert.equal(count(unchecked.ran, 'detector'), unchecked.runs);
  });

  it('a model warmed on zeros alone skips the run that would be empty', async () => {
    const { runs, ran } = await warm(zerosOnly, true);
    assert.ok(runs > 0);
    assert.equal(count(ran, 'query'), 0);
    assert.equal(count(ran, 'detector'), runs);
    assert.equal(count(ran, 'landmarks'), runs);
  });
});
