// Numeric OSC (bridge/protocols/osc/numeric/index.ts), pure: each output shape → datagrams, decoded back with
// the `osc` package; slots and zero fill, the datagram limit, strings cut, bundles or single messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import osc, { type OscBundle, type OscMessage, type OscPacket, type TypedArgument } from 'osc';
import type { Port, Values } from '../web/contract/index.ts';
import { DEFAULT_MAX_BYTES, MAX_STRING_BYTES, describeNumeric, encodeNumeric, type NumericOptions } from '../bridge/protocols/osc/numeric/index.ts';
import { trimSlashes } from '../bridge/protocols/osc/numeric/options.ts';

const portsOf = (id: string): Port[] =>
  (JSON.parse(readFileSync(new URL(`../public/models/${id}/model.json`, import.meta.url), 'utf8')) as { outputs: Port[] }).outputs;

/** A decoded message: its address, type tags and values (floats as read back, float32). */
interface Decoded { address: string; types: string; values: unknown[] }

const isBundle = (p: OscPacket): p is OscBundle => 'packets' in p;

function decodeOne(datagram: Uint8Array): Decoded[] {
  const flat = (p: OscPacket): Decoded[] => isBundle(p) ? p.packets.flatMap(flat) : [message(p)];
  return flat(osc.readPacket(datagram, { metadata: true }));
}

function message(m: OscMessage): Decoded {
  const args = (Array.isArray(m.args) ? m.args : m.args === undefined ? [] : [m.args]) as TypedArgument[];
  return { address: m.address, types: args.map((a) => a.type).join(''), values: args.map((a) => a.value) };
}

/** Every message of a model output, in order, and the datagrams it came in. */
function encode(model: string, ports: Port[], outputs: Values, options?: NumericOptions) {
  const datagrams = encodeNumeric(model, ports, outputs, options);
  const max = options?.maxBytes ?? DEFAULT_MAX_BYTES;
  for (const d of datagrams) assert.ok(d.byteLength <= max, `a datagram of ${d.byteLength} bytes, over ${max}`);
  return { datagrams, messages: datagrams.flatMap(decodeOne) };
}

/** Address → "types values…", for messages whose floats are exact in float32. */
const lines = (messages: Decoded[]) => messages.map((m) => `${m.address} ${m.types} ${m.values.map((v) => JSON.stringify(v)).join(' ')}`.trimEnd());

const f32 = (n: number) => Math.fround(n);

const posePorts: Port[] = [{
  name: 'poses', type: 'array', itemType: { type: 'object', properties: {
    box: { type: 'vector', length: 4 },
    score: { type: 'number' },
    keypoints: { type: 'array', itemType: { type: 'object', properties: {
      name: { type: 'category', oneOf: ['nose', 'left_eye', 'right_eye'] },
      x: { type: 'number' }, y: { type: 'number' }, z: { type: 'number' }, score: { type: 'number' },
    } } },
  } },
}];

describe('numeric OSC: each output shape', () => {
  it('face detection: a count, then box, score and the keypoints flattened per face', () => {
    const faces = [
      { box: [0.25, 0.5, 0.125, 0.75], score: 0.5, keypoints: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]] },
      { box: [0, 0.25, 0.5, 1], score: 1, keypoints: [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0.5]] },
    ];
    const { datagrams, messages } = encode('face-detection', portsOf('face-detection'), { faces });
    assert.equal(datagrams.length, 1);
    assert.deepEqual(lines(messages), [
      '/face-detection/faces/count i 2',
      '/face-detection/faces/0/box ffff 0.25 0.5 0.125 0.75',
      '/face-detection/faces/0/score f 0.5',
      '/face-detection/faces/0/keypoints ffffffffffff 1 2 3 4 5 6 7 8 9 10 11 12',
      '/face-detection/faces/1/box ffff 0 0.25 0.5 1',
      '/face-detection/faces/1/score f 1',
      '/face-detection/faces/1/keypoints ffffffffffff 0 0 0 0 0 0 0 0 0 0 0 0.5',
    ]);
    // Not exact in float32: read back as float32.
    const [score] = encode('face-detection', portsOf('face-detection'), { faces: [{ ...faces[0], score: 0.9 }] }).messages
      .filter((m) => m.address.endsWith('/score'));
    assert.deepEqual(score!.values, [f32(0.9)]);
  });

  it('no faces: just the count', () => {
    assert.deepEqual(lines(encode('face-detection', portsOf('face-detection'), { faces: [] }).messages), ['/face-detection/faces/count i 0']);
  });

  it('line segments: line and score per segment', () => {
    const lines_ = [{ line: [0.5, 0.25, 0.75, 1], score: 0.5 }];
    assert.deepEqual(lines(encode('line-segments', portsOf('line-segments'), { lines: lines_ }).messages), [
      '/line-segments/lines/count i 1',
      '/line-segments/lines/0/line ffff 0.5 0.25 0.75 1',
      '/line-segments/lines/0/score f 0.5',
    ]);
  });

  it('ocr: the text as a string, each line its text, box and score', () => {
    const out = { text: 'Hello\nwörld', lines: [{ text: 'Hello', box: [0, 0, 0.5, 0.25], score: 0.75 }, { text: 'wörld', box: [0, 0.5, 0.5, 0.25], score: 0.5 }] };
    assert.deepEqual(lines(encode('ocr', portsOf('ocr'), out).messages), [
      '/ocr/text s "Hello\\nwörld"',
      '/ocr/lines/count i 2',
      '/ocr/lines/0/text s "Hello"',
      '/ocr/lines/0/box ffff 0 0 0.5 0.25',
      '/ocr/lines/0/score f 0.75',
      '/ocr/lines/1/text s "wörld"',
      '/ocr/lines/1/box ffff 0 0.5 0.5 0.25',
      '/ocr/lines/1/score f 0.5',
    ]);
  });

  it('voice activity: speech as i 0/1, segments by field, probabilities as a count and chunks led by their start', () => {
    const out = { speech: true, segments: [{ start: 0.5, end: 1.25 }], probabilities: [0, 0.5, 1, 0.25], frameSeconds: 0.032 };
    const { messages } = encode('voice-activity', portsOf('voice-activity'), out);
    assert.deepEqual(lines(messages.slice(0, -1)), [
      '/voice-activity/speech i 1',
      '/voice-activity/segments/count i 1',
      '/voice-activity/segments/0/start f 0.5',
      '/voice-activity/segments/0/end f 1.25',
      '/voice-activity/probabilities/count i 4',
      '/voice-activity/probabilities iffff 0 0 0.5 1 0.25',
    ]);
    assert.deepEqual(messages.at(-1), { address: '/voice-activity/frameSeconds', types: 'f', values: [f32(0.032)] });

    const silent = encode('voice-activity', portsOf('voice-activity'), { speech: false, segments: [], probabilities: [], frameSeconds: 0.032 });
    assert.deepEqual(lines(silent.messages).slice(0, 3), [
      '/voice-activity/speech i 0', '/voice-activity/segments/count i 0', '/voice-activity/probabilities/count i 0',
    ]);
  });

  it('raw tensors: dtype, dims, count and the data in chunks; ints, bools and strings too', () => {
    const ports: Port[] = [{ name: 'logits', type: 'tensor' }, { name: 'ids', type: 'tensor' }, { name: 'mask', type: 'tensor' }, { name: 'words', type: 'tensor' }];
    const out = {
      logits: { dtype: 'float32', dims: [1, 2, 2], data: [0.5, -1, 2, 4] },
      ids: { dtype: 'int64', dims: [3], data: [7, -2, 16_777_216] },
      mask: { dtype: 'bool', dims: [2], data: [true, false] },
      words: { dtype: 'string', dims: [2], data: ['a', 'bc'] },
    };
    assert.deepEqual(lines(encode('net', ports, out).messages), [
      '/net/logits/dtype s "float32"', '/net/logits/dims iii 1 2 2', '/net/logits/count i 4', '/net/logits iffff 0 0.5 -1 2 4',
      '/net/ids/dtype s "int64"', '/net/ids/dims i 3', '/net/ids/count i 3', '/net/ids ifff 0 7 -2 16777216',
      '/net/mask/dtype s "bool"', '/net/mask/dims i 2', '/net/mask/count i 2', '/net/mask iff 0 1 0',
      '/net/words/dtype s "string"', '/net/words/dims i 2', '/net/words/count i 2', '/net/words is 0 "a"', '/net/words is 1 "bc"',
    ]);
  });

  it('pose keypoints go by name, x y z score in the order the port lists them; a declared number missing is 0', () => {
    const poses = [{ box: [0, 0, 1, 1], score: 0.5, keypoints: [
      { name: 'nose', score: 0.75, x: 0.5, y: 0.25, z: -0.5 },
      { name: 'left_eye', x: 0.25, y: 0.125, score: 1 },
    ] }];
    assert.deepEqual(lines(encode('pose', posePorts, { poses }).messages), [
      '/pose/poses/count i 1',
      '/pose/poses/0/box ffff 0 0 1 1',
      '/pose/poses/0/score f 0.5',
      '/pose/poses/0/keypoints/nose ffff 0.5 0.25 -0.5 0.75',
      '/pose/poses/0/keypoints/left_eye ffff 0.25 0.125 0 1',
    ]);
  });

  it('named points without an itemType go by name too, their numbers as they come; odd names made address-safe', () => {
    const hands = [{ keypoints: [{ name: 'wrist', x: 0.5, y: 0.25, score: 1 }, { name: 'thumb tip/1', x: 0, y: 1, score: 0.5 }] }];
    assert.deepEqual(lines(encode('hand', [{ name: 'hands', type: 'array' }], { hands }).messages), [
      '/hand/hands/count i 1',
      '/hand/hands/0/keypoints/wrist fff 0.5 0.25 1',
      '/hand/hands/0/keypoints/thumb_tip_1 fff 0 1 0.5',
    ]);
  });

  it('a class list goes by name: one channel per class', () => {
    const ports: Port[] = [{ name: 'labels', type: 'array', itemType: { type: 'object', properties: { name: { type: 'text' }, score: { type: 'number' } } } }];
    assert.deepEqual(lines(encode('classify', ports, { labels: [{ name: 'cat', score: 0.75 }, { name: 'dog', score: 0.25 }] }).messages), [
      '/classify/labels/cat f 0.75', '/classify/labels/dog f 0.25',
    ]);
  });

  it('a list of objects whose names repeat, or that carry more than numbers, stays a list by index', () => {
    const objects = [{ name: 'cup', box: [0, 0, 1, 1] }, { name: 'cup', box: [0, 0, 0.5, 0.5] }];
    const declared: Port = { name: 'objects', type: 'array', itemType: { type: 'object', properties: { name: { type: 'category' }, box: { type: 'vector', length: 4 } } } };
    assert.deepEqual(encode('det', [declared], { objects }).messages, encode('det', [{ name: 'objects', type: 'array' }], { objects }).messages);
    assert.deepEqual(lines(encode('det', [{ name: 'objects', type: 'array' }], { objects }).messages), [
      '/det/objects/count i 2',
      '/det/objects/0/name s "cup"', '/det/objects/0/box ffff 0 0 1 1',
      '/det/objects/1/name s "cup"', '/det/objects/1/box ffff 0 0 0.5 0.5',
    ]);
  });

  it('outputs no port names are encoded by their values; images are left out; the prefix leads', () => {
    const ports: Port[] = [{ name: 'mask', type: 'image' }, { name: 'label', type: 'category' }];
    const out = { mask: 'data:image/png;base64,iVBORw0KGgo=', label: 'cat', extra: { ok: true, n: 2 }, preview: 'data:image/jpeg;base64,/9j/' };
    assert.deepEqual(lines(encode('m', ports, out, { prefix: '/models/' }).messages), [
      '/models/m/label s "cat"', '/models/m/extra/ok i 1', '/models/m/extra/n f 2',
    ]);
  });

  it('null and non-finite numbers go as 0', () => {
    const { messages } = encode('m', [{ name: 'v', type: 'vector', length: 3 }, { name: 'x', type: 'number' }], { v: [1, null, Number.NaN], x: null });
    assert.deepEqual(lines(messages), ['/m/v fff 1 0 0', '/m/x f 0']);
  });
});

describe('numeric OSC: slots', () => {
  it('always N faces: missing ones zeroed as the first face is shaped, extra ones dropped, count the real number', () => {
    const face = { box: [0.25, 0.5, 0.125, 0.75], score: 0.5, keypoints: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]] };
    const two = encode('face-detection', portsOf('face-detection'), { faces: [face] }, { slots: 2 }).messages;
    assert.deepEqual(lines(two).slice(4), [
      '/face-detection/faces/1/box ffff 0 0 0 0',
      '/face-detection/faces/1/score f 0',
      '/face-detection/faces/1/keypoints ffffffffffff 0 0 0 0 0 0 0 0 0 0 0 0',
    ]);
    const cut = encode('face-detection', portsOf('face-detection'), { faces: [face, face, face] }, { slots: 1 }).messages;
    assert.equal(lines(cut)[0], '/face-detection/faces/count i 3');
    assert.deepEqual(new Set(cut.slice(1).map((m) => m.address.split('/')[3])), new Set(['0']));
    assert.deepEqual(lines(encode('face-detection', portsOf('face-detection'), { faces: [face] }, { slots: 0 }).messages), ['/face-detection/faces/count i 1']);
  });

  it('with no face at all, the itemType shapes the empty ones (a list of no declared length is left out)', () => {
    const zeroFaces = ['/face-detection/faces/count i 0',
      '/face-detection/faces/0/box ffff 0 0 0 0', '/face-detection/faces/0/score f 0',
      '/face-detection/faces/0/keypoints ffffffffffff 0 0 0 0 0 0 0 0 0 0 0 0',
      '/face-detection/faces/1/box ffff 0 0 0 0', '/face-detection/faces/1/score f 0',
      '/face-detection/faces/1/keypoints ffffffffffff 0 0 0 0 0 0 0 0 0 0 0 0'];
    assert.deepEqual(lines(encode('face-detection', portsOf('face-detection'), { faces: [] }, { slots: 2 }).messages), zeroFaces);
    // Keypoints of no declared length: an empty entry cannot say how many there would be.
    const ports = structuredClone(portsOf('face-detection')) as Port[];
    const item = ports[0]!.itemType as { properties: Record<string, Record<string, unknown>> };
    item.properties.keypoints = { type: 'array' };
    assert.deepEqual(lines(encode('face-detection', ports, { faces: [] }, { slots: 2 }).messages),
      zeroFaces.filter((l) => !l.includes('keypoints')));
  });

  it('ocr lines zero as s "", ffff 0, f 0; segments as their itemType says', () => {
    assert.deepEqual(lines(encode('ocr', portsOf('ocr'), { text: '', lines: [] }, { slots: 1 }).messages), [
      '/ocr/text s ""', '/ocr/lines/count i 0', '/ocr/lines/0/text s ""', '/ocr/lines/0/box ffff 0 0 0 0', '/ocr/lines/0/score f 0',
    ]);
    const vad = encode('voice-activity', portsOf('voice-activity'), { speech: true, segments: [{ start: 1, end: 2 }], probabilities: [1], frameSeconds: 0.5 }, { slots: 2 });
    assert.deepEqual(lines(vad.messages).slice(1, 6), [
      '/voice-activity/segments/count i 1',
      '/voice-activity/segments/0/start f 1', '/voice-activity/segments/0/end f 2',
      '/voice-activity/segments/1/start f 0', '/voice-activity/segments/1/end f 0',
    ]);
  });

  it('poses: an empty pose has every declared point zeroed, and a pose missing a point gets it zeroed', () => {
    const poses = [{ box: [0, 0, 1, 1], score: 0.5, keypoints: [{ name: 'nose', x: 0.5, y: 0.25, z: 0, score: 1 }] }];
    assert.deepEqual(lines(encode('pose', posePorts, { poses }, { slots: 2 }).messages), [
      '/pose/poses/count i 1',
      '/pose/poses/0/box ffff 0 0 1 1', '/pose/poses/0/score f 0.5',
      '/pose/poses/0/keypoints/nose ffff 0.5 0.25 0 1',
      '/pose/poses/0/keypoints/left_eye ffff 0 0 0 0', '/pose/poses/0/keypoints/right_eye ffff 0 0 0 0',
      '/pose/poses/1/box ffff 0 0 0 0', '/pose/poses/1/score f 0',
      '/pose/poses/1/keypoints/nose ffff 0 0 0 0', '/pose/poses/1/keypoints/left_eye ffff 0 0 0 0', '/pose/poses/1/keypoints/right_eye ffff 0 0 0 0',
    ]);
  });
});

describe('numeric OSC: datagram limit, strings, bundles', () => {
  const face = (i: number) => ({ box: [i / 500, 0.5, 0.125, 0.25], score: 0.5, keypoints: Array.from({ length: 6 }, (_, k) => [k / 8, i / 1000]) });
  const faces = Array.from({ length: 500 }, (_, i) => face(i));

  for (const options of [{}, { maxBytes: 512 }, { bundles: false }, { maxBytes: 128, bundles: false }, { maxBytes: 9000 }] as NumericOptions[]) {
    it(`500 faces, ${JSON.stringify(options)}: every datagram within the limit, every face there`, () => {
      const { datagrams, messages } = encode('face-detection', portsOf('face-detection'), { faces }, options);
      assert.equal(messages.length, 1 + 500 * 3);
      if (options.bundles === false) assert.equal(datagrams.length, messages.length);
      assert.equal(lines(messages)[0], '/face-detection/faces/count i 500');
      assert.deepEqual(messages.at(-3)!.values, [499 / 500, 0.5, 0.125, 0.25].map(f32));
    });
  }

  it('10,000 probabilities: a count and chunks that fit, reassembled by their start into the same float32 numbers', () => {
    const probabilities = Array.from({ length: 10_000 }, (_, i) => (i % 97) / 97);
    for (const options of [{}, { maxBytes: 256 }, { bundles: false }, { maxBytes: 65_000 }] as NumericOptions[]) {
      const { messages } = encode('voice-activity', portsOf('voice-activity'), { speech: true, segments: [], probabilities, frameSeconds: 0.032 }, options);
      const count = messages.find((m) => m.address === '/voice-activity/probabilities/count');
      assert.deepEqual(count, { address: '/voice-activity/probabilities/count', types: 'i', values: [10_000] });
      const chunks = messages.filter((m) => m.address === '/voice-activity/probabilities');
      assert.ok(chunks.length > 1 || options.maxBytes === 65_000);
      const got: number[] = [];
      for (const c of chunks) {
        assert.match(c.types, /^if+$/);
        assert.equal(c.values[0], got.length, 'each chunk starts where the last ended');
        got.push(...(c.values.slice(1) as number[]));
      }
      assert.deepEqual(got, probabilities.map(f32));
    }
  });

  it('a list inside an entry too long for one datagram goes as a count and chunks', () => {
    const points = Array.from({ length: 300 }, (_, i) => i);
    const { messages } = encode('m', [{ name: 'outlines', type: 'array' }], { outlines: [{ points }] }, { maxBytes: 512 });
    assert.deepEqual(lines(messages.slice(0, 2)), ['/m/outlines/count i 1', '/m/outlines/0/points/count i 300']);
    const chunks = messages.slice(2);
    assert.ok(chunks.length > 1 && chunks.every((c) => c.address === '/m/outlines/0/points' && /^if+$/.test(c.types)));
    assert.deepEqual(chunks.flatMap((c) => c.values.slice(1)), points);
  });

  it('a face mesh: 468 [x, y, z] points per face as a count and chunks of 295, every datagram within 1,536 bytes; slots zero-fill them', () => {
    const keypoints = Array.from({ length: 468 }, (_, i) => [i / 1024, 0.5, -i / 4096]);
    const face = { box: [0.25, 0.125, 0.5, 0.5], keypoints };
    const one = encode('face-mesh', portsOf('face-mesh'), { faces: [face], tracked: true });
    assert.equal(one.datagrams.length, 6);
    assert.deepEqual(lines(one.messages.slice(0, 3)), ['/face-mesh/faces/count i 1', '/face-mesh/faces/0/box ffff 0.25 0.125 0.5 0.5', '/face-mesh/faces/0/keypoints/count i 1404']);
    const chunks = one.messages.filter((m) => m.address === '/face-mesh/faces/0/keypoints' && /^if+$/.test(m.types));
    assert.deepEqual(chunks.map((c) => c.values[0]), [0, 295, 590, 885, 1180]);
    assert.deepEqual(chunks.flatMap((c) => c.values.slice(1)), keypoints.flat().map(f32));
    assert.equal(lines(one.messages).at(-1), '/face-mesh/tracked i 1');
    // Two slots and no face: both zeroed, shaped by the port (1,404 zeros each).
    const none = encode('face-mesh', portsOf('face-mesh'), { faces: [], tracked: false }, { slots: 2 });
    assert.equal(none.datagrams.length, 11);
    for (const i of [0, 1]) {
      const zeros = none.messages.filter((m) => m.address === `/face-mesh/faces/${i}/keypoints` && m.types.startsWith('i'));
      assert.deepEqual(zeros.flatMap((c) => c.values.slice(1)), new Array(1404).fill(0));
    }
  });

  it('a big tensor fits too', () => {
    const data = Array.from({ length: 5000 }, (_, i) => i);
    const { messages } = encode('net', [{ name: 'out', type: 'tensor' }], { out: { dtype: 'float32', dims: [50, 100], data } }, { maxBytes: 400 });
    assert.deepEqual(messages.filter((m) => m.address === '/net/out').flatMap((m) => m.values.slice(1)), data);
  });

  it('cuts strings to 900 bytes of UTF-8, or to what the datagram holds, never inside a character', () => {
    const long = 'aé日😀'.repeat(300); // 10 bytes each: 3,000 bytes
    for (const options of [{}, { bundles: false }, { maxBytes: 128 }, { maxBytes: 200, bundles: false }] as NumericOptions[]) {
      const { messages } = encode('ocr', portsOf('ocr'), { text: long, lines: [{ text: long, box: [0, 0, 1, 1], score: 1 }] }, options);
      for (const m of messages.filter((x) => x.types === 's')) {
        const s = m.values[0] as string;
        const bytes = Buffer.byteLength(s);
        assert.ok(bytes <= MAX_STRING_BYTES, `${bytes} bytes`);
        assert.ok(bytes >= Math.min(MAX_STRING_BYTES - 3, (options.maxBytes ?? Infinity) - 80), `cut to ${bytes} bytes, more than needed`);
        assert.ok(long.startsWith(s) && !s.includes('\uFFFD'), 'a prefix, whole characters only');
      }
    }
    const [cut] = encode('ocr', portsOf('ocr'), { text: 'a'.repeat(899) + '😀' }).messages;
    assert.equal(cut!.values[0], 'a'.repeat(899), 'a character that would cross 900 bytes is left out whole');
    const [nul] = encode('ocr', portsOf('ocr'), { text: 'a\0b' }).messages;
    assert.equal(nul!.values[0], 'ab', 'NUL, which ends an OSC string, is dropped');
  });

  it('bundles (timetag immediately) hold as many messages as fit, in order; bundles: false sends the same messages one each', () => {
    const out = { faces: faces.slice(0, 40) };
    const bundled = encodeNumeric('face-detection', portsOf('face-detection'), out);
    const single = encodeNumeric('face-detection', portsOf('face-detection'), out, { bundles: false });
    assert.deepEqual(bundled.flatMap(decodeOne), single.flatMap(decodeOne));
    assert.ok(bundled.length > 1 && bundled.length < single.length);
    for (const [i, d] of bundled.entries()) {
      const p = osc.readPacket(d, { metadata: true });
      assert.ok(isBundle(p));
      assert.deepEqual(p.timeTag.raw, [0, 1]);
      // Full: the next bundle's first message would not have fitted in this one.
      const next = bundled[i + 1];
      if (next) {
        const first = (osc.readPacket(next, { metadata: true }) as OscBundle).packets[0]!;
        assert.ok(d.byteLength + 4 + osc.writePacket(first, { metadata: true }).byteLength > DEFAULT_MAX_BYTES);
      }
    }
    for (const d of single) assert.ok(!isBundle(osc.readPacket(d, { metadata: true })));
  });

  it('refuses bad options', () => {
    const ports = portsOf('face-detection');
    for (const bad of [{ maxBytes: 100 }, { maxBytes: 70_000 }, { maxBytes: 1000.5 }, { slots: -1 }, { slots: 1.5 }, { prefix: 'models' }, { prefix: '/a b' }, { prefix: '/a//b' }, { prefix: '/*' }]) {
      assert.throws(() => encodeNumeric('face-detection', ports, { faces: [] }, bad), RangeError, JSON.stringify(bad));
    }
  });

  it('checks a prefix in one pass: inputs that make backtracking patterns explode are answered at once', () => {
    // `/^(\/[\x21-\x7e]+)+$/` took 1.7 s on 28 parts and a space, doubling with each part; `/\/+$/` was
    // quadratic in a run of slashes. A megabyte of either is now one pass.
    const ports = portsOf('face-detection');
    assert.throws(() => encodeNumeric('face-detection', ports, { faces: [] }, { prefix: '/a'.repeat(500_000) + ' ' }), RangeError);
    assert.throws(() => encodeNumeric('face-detection', ports, { faces: [] }, { prefix: '/'.repeat(1_000_000) + 'a ' }), RangeError);
    assert.equal(trimSlashes('/'.repeat(1_000_000) + 'a'), '/'.repeat(1_000_000) + 'a');
    assert.equal(trimSlashes('/models//'), '/models');
    assert.ok(encodeNumeric('face-detection', ports, { faces: [] }, { prefix: '/models/' }).length > 0);
  });
});

describe('numeric OSC: describeNumeric', () => {
  it('lists every address with its type tags and a description', () => {
    const brief = (id: string, slots?: number) => describeNumeric(id, portsOf(id), slots).map((a) => `${a.address} ${a.types}`);
    assert.deepEqual(brief('face-detection'), [
      '/face-detection/faces/count i', '/face-detection/faces/<i>/box ffff', '/face-detection/faces/<i>/score f', '/face-detection/faces/<i>/keypoints ffffffffffff',
    ]);
    assert.deepEqual(brief('line-segments', 2), [
      '/line-segments/lines/count i',
      '/line-segments/lines/0/line ffff', '/line-segments/lines/0/score f',
      '/line-segments/lines/1/line ffff', '/line-segments/lines/1/score f',
    ]);
    assert.deepEqual(brief('ocr'), ['/ocr/text s', '/ocr/lines/count i', '/ocr/lines/<i>/text s', '/ocr/lines/<i>/box ffff', '/ocr/lines/<i>/score f']);
    assert.deepEqual(brief('voice-activity'), [
      '/voice-activity/speech i', '/voice-activity/segments/count i', '/voice-activity/segments/<i>/start f', '/voice-activity/segments/<i>/end f', '/voice-activity/probabilities/count i', '/voice-activity/probabilities if*', '/voice-activity/frameSeconds f',
    ]);
    // A list too long for one message is described as it is sent: a count and chunks.
    assert.deepEqual(brief('face-mesh'), [
      '/face-mesh/faces/count i', '/face-mesh/faces/<i>/box ffff', '/face-mesh/faces/<i>/keypoints/count i', '/face-mesh/faces/<i>/keypoints if*', '/face-mesh/tracked i',
    ]);
    const box = describeNumeric('face-detection', portsOf('face-detection'))[1]!;
    assert.equal(box.description, '[x, y, width, height]');
    assert.ok(describeNumeric('face-detection', portsOf('face-detection'), { prefix: '/models' }).every((a) => a.address.startsWith('/models/face-detection/')));
  });

  it('names pose points, and describes tensors', () => {
    const ports: Port[] = [{
      name: 'poses', type: 'array', itemType: { type: 'object', properties: {
        score: { type: 'number' },
        keypoints: { type: 'array', itemType: { type: 'object', properties: { name: { type: 'category', oneOf: ['nose', 'left_eye'] }, x: { type: 'number' }, y: { type: 'number' }, score: { type: 'number' } } } },
      } },
    }, { name: 'raw', type: 'tensor' }];
    assert.deepEqual(describeNumeric('pose', ports, 1).map((a) => `${a.address} ${a.types}`), [
      '/pose/poses/count i', '/pose/poses/0/score f', '/pose/poses/0/keypoints/nose fff', '/pose/poses/0/keypoints/left_eye fff',
      '/pose/raw/dtype s', '/pose/raw/dims i*', '/pose/raw/count i', '/pose/raw if*',
    ]);
  });
});
