// Length-prefixed framing and LabGraph's message envelope, as pure functions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, FrameError, encodeFrame } from '../bridge/protocols/framing.ts';
import { parseMessage, parseStreamName, sampleInputs, streamBatch, LabGraphError } from '../bridge/protocols/labgraph-messages.ts';

describe('frames', () => {
  it('round-trips, whether bytes come one at a time or frames come together', () => {
    const a = encodeFrame(Buffer.from('hello'));
    const b = encodeFrame(Buffer.from([1, 2, 3]));
    assert.deepEqual([...a.subarray(0, 4)], [5, 0, 0, 0]);
    const whole = new FrameDecoder(100).push(Buffer.concat([a, b]));
    assert.deepEqual(whole.map((f) => [...f]), [[...Buffer.from('hello')], [1, 2, 3]]);
    const d = new FrameDecoder(100);
    const frames: Buffer[] = [];
    for (const byte of Buffer.concat([a, b])) frames.push(...d.push(Buffer.from([byte])));
    assert.deepEqual(frames.map((f) => f.toString('latin1')), ['hello', '\x01\x02\x03']);
    assert.equal(d.pending, 0);
  });

  it('refuses a zero length and one over the limit before buffering its payload', () => {
    assert.throws(() => new FrameDecoder(100).push(Buffer.from([0, 0, 0, 0])), (e) => e instanceof FrameError && /length 0/.test(e.message));
    const huge = Buffer.alloc(4);
    huge.writeUInt32LE(2 ** 30);
    assert.throws(() => new FrameDecoder(16 * 2 ** 20).push(huge), /1073741824 bytes is over the limit of 16777216/);
  });

  it('keeps a partial frame until the rest comes', () => {
    const d = new FrameDecoder(100);
    const f = encodeFrame(Buffer.from('abcdef'));
    assert.deepEqual(d.push(f.subarray(0, 7)), []);
    assert.equal(d.pending, 3);
    assert.equal(d.push(f.subarray(7))[0]!.toString(), 'abcdef');
  });
});

describe('LabGraph messages', () => {
  const start = (extra: Record<string, unknown> = {}) => JSON.stringify({ api_version: '0.1', api_request: { request_id: 7, start_stream_request: { stream_id: 's1', 'face-detection/data': {}, ...extra } } });

  it('reads start and end requests and batches, with the stream name as a key', () => {
    assert.deepEqual(parseMessage(start({ app_id: 'app' })), { type: 'start', requestId: 7, streamId: 's1', streamName: 'face-detection/data', appId: 'app' });
    assert.deepEqual(parseMessage(JSON.stringify({ api_version: 0.1, api_request: { request_id: 8, end_stream_request: { stream_id: 's1' } } })),
      { type: 'end', requestId: 8, streamId: 's1' });
    assert.deepEqual(parseMessage(JSON.stringify({ api_version: '0.1', stream_batch: { stream_id: 'q', 'm/query': { samples: [{ a: 1 }], batch_num: 0 } } })),
      { type: 'batch', streamId: 'q', streamName: 'm/query', samples: [{ a: 1 }] });
  });

  it('names what is wrong, with LabGraph\'s codes', () => {
    const code = (text: string) => { try { parseMessage(text); return 'ok'; } catch (e) { return (e as LabGraphError).code; } };
    assert.equal(code('{not json'), 'InvalidMessageFormat');
    assert.equal(code(JSON.stringify({ api_version: '0.2', api_request: { request_id: 1 } })), 'MessageNotSupported');
    assert.equal(code(JSON.stringify({ api_version: '0.1', api_request: { request_id: 1, start_stream_request: {} } })), 'InvalidMessageFormat');
    assert.equal(code(JSON.stringify({ api_version: '0.1', api_request: { request_id: 1, start_stream_request: { stream_id: 'x', a: {}, b: {} } } })), 'InvalidMessageFormat');
    assert.equal(code(JSON.stringify({ api_version: '0.1', api_request: { request_id: 1, other_request: {} } })), 'MessageNotSupported');
    assert.equal(code(JSON.stringify({ api_version: '0.1', stream_batch: { stream_id: 'q', 'm/query': { batch_num: 0 } } })), 'InvalidMessageFormat');
    assert.equal(code(JSON.stringify({ api_version: '0.1' })), 'MessageNotSupported');
  });

  it('stream names, samples and batches', () => {
    assert.deepEqual(parseStreamName('face-detection/query'), { model: 'face-detection', kind: 'query' });
    assert.equal(parseStreamName('face-detection/other'), undefined);
    assert.deepEqual(sampleInputs({ data: { image: 'x' }, produced_timestamp_s: 1 }), { image: 'x' });
    assert.deepEqual(sampleInputs({ image: 'x' }), { image: 'x' });
    assert.deepEqual(streamBatch('s', 'm/data', [1], 3), { api_version: '0.1', stream_batch: { stream_id: 's', 'm/data': { samples: [1], batch_num: 3 } } });
  });
});
