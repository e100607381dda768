// KServe v2 tensors as pure functions: every datatype through the binary tensor data extension and back,
// JSON data checked against shape and datatype, and a model's ports as tensors both ways.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromBinary, fromJsonData, toBinary, datatypeOf, onnxType } from '../bridge/protocols/kserve/tensors.ts';
import { inputValue, outputTensor, portTensor } from '../bridge/protocols/kserve/mapping.ts';

describe('KServe v2 tensors', () => {
  it('every datatype round-trips through its binary layout, little-endian, BOOL one byte, BYTES length-prefixed', () => {
    const cases: [string, (number | boolean | string)[], number][] = [
      ['BOOL', [true, false, true], 3], ['UINT8', [0, 255], 2], ['INT8', [-128, 127], 2], ['UINT16', [65535, 1], 4],
      ['INT16', [-32768, 5], 4], ['UINT32', [4294967295], 4], ['INT32', [-2147483648, 7], 8], ['INT64', [-(2 ** 53) + 1, 2 ** 40], 16],
      ['UINT64', [2 ** 53 - 1], 8], ['FP32', [0.5, -1.25], 8], ['FP64', [Math.PI], 8], ['BYTES', ['ab', '', 'ünï'], 4 + 2 + 4 + 4 + 5],
    ];
    for (const [datatype, data, bytes] of cases) {
      const raw = toBinary(datatype, data);
      assert.equal(raw.byteLength, bytes, datatype);
      const back = fromBinary('x', datatype, [data.length], raw);
      assert.deepEqual(datatype === 'BYTES' ? back.map((b) => Buffer.from(b as Uint8Array).toString('utf8')) : back, data, datatype);
    }
    assert.deepEqual([...toBinary('FP32', [1])], [0, 0, 0x80, 0x3f]);
    assert.deepEqual([...toBinary('BYTES', ['hi'])], [2, 0, 0, 0, 0x68, 0x69]);
  });

  it('JSON data: nested or flat, counted against the shape, each element of the datatype\'s kind', () => {
    assert.deepEqual(fromJsonData('x', 'INT32', [2, 2], [[1, 2], [3, 4]]), [1, 2, 3, 4]);
    assert.deepEqual(fromJsonData('x', 'BOOL', [2], [1, false]), [true, false]);
    assert.throws(() => fromJsonData('x', 'FP32', [3], [1, 2]), /shape \[3\] holds 3 elements, data has 2/);
    assert.throws(() => fromJsonData('x', 'BYTES', [1], [1]), /element 0 is 1, not a string/);
    assert.throws(() => fromBinary('x', 'BYTES', [2], toBinary('BYTES', ['one'])), /does not hold 2 BYTES elements/);
  });

  it('onnxruntime\'s element types and the protocol\'s datatypes', () => {
    assert.deepEqual(['float32', 'int64', 'bool', 'string', 'uint8'].map(datatypeOf), ['FP32', 'INT64', 'BOOL', 'BYTES', 'UINT8']);
    assert.deepEqual(['FP32', 'INT64', 'BOOL', 'BYTES', 'FP64'].map(onnxType), ['float32', 'int64', 'bool', 'string', 'float64']);
  });

  it('a port\'s value both ways: numbers, text, JSON, and a tensor in the generic adapter\'s form', () => {
    assert.deepEqual(portTensor({ name: 'v', type: 'vector', length: 2 }), { name: 'v', datatype: 'FP64', shape: [2] });
    assert.equal(inputValue({ name: 'n', type: 'number' }, { datatype: 'INT32', shape: [1], data: [3] }), 3);
    assert.equal(inputValue({ name: 't', type: 'text' }, { datatype: 'BYTES', shape: [1], data: [new TextEncoder().encode('hé')] }), 'hé');
    assert.deepEqual(inputValue({ name: 'o', type: 'object' }, { datatype: 'BYTES', shape: [1], data: ['{"a":[1]}'] }), { a: [1] });
    assert.throws(() => inputValue({ name: 'o', type: 'object' }, { datatype: 'BYTES', shape: [1], data: ['{'] }), /input "o" is not valid JSON/);
    assert.deepEqual(inputValue({ name: 'x', type: 'tensor', dtype: 'float32' }, { datatype: 'FP32', shape: [1, 2], data: [1, 2] }),
      { dtype: 'float32', dims: [1, 2], data: [1, 2] });
    assert.deepEqual(outputTensor('y', { name: 'y', type: 'tensor' }, { dtype: 'int32', dims: [2], data: [1, 2] }), { name: 'y', datatype: 'INT32', shape: [2], data: [1, 2] });
    assert.deepEqual(outputTensor('faces', { name: 'faces', type: 'array' }, [{ box: [0, 0, 1, 1] }]),
      { name: 'faces', datatype: 'BYTES', shape: [1], data: ['[{"box":[0,0,1,1]}]'] });
    const half = { dtype: 'float16', dims: [1], data: [15360] };
    assert.deepEqual(outputTensor('h', { name: 'h', type: 'tensor' }, half), { name: 'h', datatype: 'BYTES', shape: [1], data: [JSON.stringify(half)] });
    // A value not of its port's type still travels, as JSON text.
    assert.deepEqual(outputTensor('n', { name: 'n', type: 'number' }, null), { name: 'n', datatype: 'BYTES', shape: [1], data: ['null'] });
  });
});
