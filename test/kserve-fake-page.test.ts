// KServe v2 REST (/v2 on the HTTP port) against the real bridge and a fake page (no browser), driven by
// a client written from the protocol's specification in Python's standard library
// (examples/python/kserve_client.py) and by hand-built requests: metadata from the models' info, JSON
// and binary tensor data both ways, every error in the protocol's shape, the core's limits.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ModelAnnouncement } from '../web/contract/index.ts';
import { FAKE_MODELS } from './helpers/fake-page-answers.ts';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { fixture } from './helpers/fixtures.ts';
import { Fuzzer, fuzzRounds, fuzzSeed } from './helpers/fuzz.ts';
import { until } from './helpers/wait.ts';

const CLIENT = fileURLToPath(new URL('../examples/python/kserve_client.py', import.meta.url));
const IMAGE = fileURLToPath(new URL('./fixtures/astronaut-256.jpg', import.meta.url));
const JPEG = fixture('astronaut-256.jpg');
const MAX_BODY = 256 * 1024;

/** A dropped .onnx as a page announces it: tensor ports from the graph. The fake page answers y = x. */
const NETWORK: ModelAnnouncement = {
  id: 'network', title: 'network.onnx', state: 'ready', backend: 'wasm',
  info: {
    inputs: [{ name: 'x', type: 'tensor', dtype: 'float32', dims: ['N', 4] }],
    outputs: [{ name: 'y', type: 'tensor', dtype: 'float32', dims: ['N', 4] }],
  },
};
/** One port of each kind, for the metadata mapping; and `act`, which the fake page obeys (leave, hold, never). */
const KINDS: ModelAnnouncement = {
  id: 'kinds', title: 'Kinds', state: 'ready',
  info: {
    inputs: [
      { name: 'x', type: 'number' }, { name: 'act', type: 'text', default: '' }, { name: 'flag', type: 'boolean', default: false },
      { name: 'variant', type: 'category', oneOf: ['a', 'b'], default: 'a' }, { name: 'v', type: 'vector', length: 3, default: [0, 0, 0] },
      { name: 'options', type: 'object', default: {} }, { name: 'audio', type: 'audio', default: [] },
    ],
    outputs: [{ name: 'y', type: 'number' }, { name: 'lines', type: 'array' }, { name: 'mask', type: 'image' }, { name: 'v', type: 'vector' }],
  },
};

async function py(...args: string[]): Promise<any> {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [CLIENT, ...args]);
  return JSON.parse(stdout);
}

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; json?: any }

/** A raw HTTP request (any Host, Origin or Content-Type, or none). */
function raw(url: string, method: string, headers: Record<string, string>, body?: Uint8Array): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        const length = Number(res.headers['inference-header-content-length'] ?? data.byteLength);
        let json: unknown;
        try { json = JSON.parse(data.subarray(0, length).toString('utf8')); } catch { json = undefined; }
        resolve({ status: res.statusCode!, headers: res.headers, body: data, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const infer = (url: string, model: string, request: unknown, binary?: Uint8Array, headers: Record<string, string> = {}) => {
  const head = Buffer.from(JSON.stringify(request));
  return binary
    ? raw(`${url}/v2/models/${model}/infer`, 'POST', { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.byteLength), ...headers }, Buffer.concat([head, binary]))
    : raw(`${url}/v2/models/${model}/infer`, 'POST', { 'content-type': 'application/json', ...headers }, head);
};
const get = async (url: string) => { const r = await fetch(url); return { status: r.status, body: await r.json() as any }; };

describe('KServe v2 against a fake page', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ pageModels: [...FAKE_MODELS, NETWORK, KINDS], maxBody: MAX_BODY, timeout: 1, maxQueue: 3 }); });
  after(async () => { await f?.close(); });

  it('health, server metadata and model readiness: 200 for true, 400 for false, 404 for no such model', async () => {
    assert.deepEqual(await py('--url', f.url, 'health'), { live: true, ready: true });
    assert.deepEqual(await get(`${f.url}/v2/health/live`), { status: 200, body: { live: true } });
    assert.deepEqual(await get(`${f.url}/v2/health/ready`), { status: 200, body: { ready: true } });
    const server = { name: 'pagebridge', version: '0.1.0', extensions: ['binary_tensor_data'] };
    assert.deepEqual(await py('--url', f.url, 'metadata'), { status: 200, ...server });
    assert.deepEqual(await get(`${f.url}/v2/`), { status: 200, body: server });
    assert.deepEqual(await get(`${f.url}/v2/models/echo/ready`), { status: 200, body: { name: 'echo', ready: true } });
    assert.deepEqual(await get(`${f.url}/v2/models/echo/versions/1/ready`), { status: 200, body: { name: 'echo', ready: true } });
    assert.deepEqual(await get(`${f.url}/v2/models/loading/ready`), { status: 400, body: { name: 'loading', ready: false } });
    assert.deepEqual(await get(`${f.url}/v2/models/broken/ready`), { status: 400, body: { name: 'broken', ready: false } });
    const none = await get(`${f.url}/v2/models/nope/ready`);
    assert.equal(none.status, 404);
    assert.match(none.body.error, /no model "nope" \(models: echo, picture, mirror, loading, broken, network, kinds\)/);
    assert.deepEqual(await get(`${f.url}/v2/models/echo/versions/2/ready`), { status: 404, body: { error: 'no version "2" of model "echo" (versions: 1)' } });
  });

  it('model metadata from the model\'s info: images and JSON as BYTES [1], numbers FP64, a dropped network\'s own tensors', async () => {
    assert.deepEqual(await py('--url', f.url, 'metadata', 'picture'), {
      status: 200, name: 'picture', versions: ['1'], platform: 'pagebridge',
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [1] }],
      outputs: [{ name: 'faces', datatype: 'BYTES', shape: [1] }, { name: 'received', datatype: 'FP64', shape: [1] }],
    });
    assert.deepEqual(await get(`${f.url}/v2/models/network/versions/1`), { status: 200, body: {
      name: 'network', versions: ['1'], platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 4] }],
    } });
    assert.deepEqual((await get(`${f.url}/v2/models/kinds`)).body, {
      name: 'kinds', versions: ['1'], platform: 'pagebridge',
      inputs: [
        { name: 'x', datatype: 'FP64', shape: [1] }, { name: 'act', datatype: 'BYTES', shape: [1] }, { name: 'flag', datatype: 'BOOL', shape: [1] },
        { name: 'variant', datatype: 'BYTES', shape: [1] }, { name: 'v', datatype: 'FP64', shape: [3] },
        { name: 'options', datatype: 'BYTES', shape: [1] }, { name: 'audio', datatype: 'BYTES', shape: [1] },
      ],
      outputs: [
        { name: 'y', datatype: 'FP64', shape: [1] }, { name: 'lines', datatype: 'BYTES', shape: [1] },
        { name: 'mask', datatype: 'BYTES', shape: [1] }, { name: 'v', datatype: 'FP64', shape: [-1] },
      ],
    });
    assert.equal((await get(`${f.url}/v2/models/nope`)).status, 404);
    assert.equal((await get(`${f.url}/v2/models/echo/versions/0`)).status, 404);
  });

  it('JSON inference goes through the core: the page gets the value, /data follows, a refused value leaves /error, the id comes back', async () => {
    const answer = await py('--url', f.url, 'infer', 'echo', '--tensor', 'x=FP32:1:[2.5]', '--id', 'req-7');
    assert.deepEqual(answer, { status: 200, binary: false, model_name: 'echo', id: 'req-7', outputs: { y: { datatype: 'FP64', shape: [1], data: [2.5] } } });
    assert.deepEqual(f.page.queries.at(-1), { model: 'echo', inputs: { x: 2.5 }, annotate: false });
    assert.deepEqual((await get(`${f.url}/models/echo/data`)).body, { y: 2.5 });
    // Any numeric datatype, nested data, and the /versions/1 form.
    const nested = await infer(f.url, 'echo/versions/1', { inputs: [{ name: 'x', shape: [1, 1], datatype: 'INT64', data: [[-3]] }] });
    assert.deepEqual(nested.json, { model_name: 'echo', model_version: '1', outputs: [{ name: 'y', datatype: 'FP64', shape: [1], data: [-3] }] });
    // A value the core refuses is the asker's alone, as for POST /query: the model's last error stays as it was.
    const bad = await infer(f.url, 'kinds', { inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }, { name: 'variant', shape: [1], datatype: 'BYTES', data: ['c'] }] });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /input "variant" must be equal to one of the allowed values: expected one of "a", "b"/);
    assert.equal((await get(`${f.url}/models/kinds/error`)).body.error, null);
    const missing = await infer(f.url, 'echo', { inputs: [] });
    assert.deepEqual({ status: missing.status, json: missing.json }, { status: 400, json: { error: 'missing input "x": expected a number' } });
  });

  it('an image as binary data reaches the page as the same bytes; structured outputs come back as JSON text, numbers as FP64', async () => {
    const answer = await py('--url', f.url, 'infer', 'picture', '--image', `image=${IMAGE}`, '--binary-inputs');
    assert.equal(answer.status, 200);
    assert.equal(answer.binary, false);
    assert.deepEqual(Buffer.from(f.page.queries.at(-1)!.inputs.image as Uint8Array), JPEG);
    assert.deepEqual(answer.outputs.received, { datatype: 'FP64', shape: [1], data: [JPEG.byteLength] });
    assert.equal(answer.outputs.faces.datatype, 'BYTES');
    assert.deepEqual(answer.outputs.faces.shape, [1]);
    const faces = JSON.parse(answer.outputs.faces.data[0]);
    assert.deepEqual(faces, (await get(`${f.url}/models/picture/data`)).body.faces);
    // In JSON the image is base64 (or a data URI); raw bytes without the u32 length are taken too.
    for (const send of [
      () => infer(f.url, 'picture', { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [JPEG.toString('base64')] }] }),
      () => infer(f.url, 'picture', { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [`data:image/jpeg;base64,${JPEG.toString('base64')}`] }] }),
      () => infer(f.url, 'picture', { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: JPEG.byteLength } }] }, JPEG),
    ]) {
      const res = await send();
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(Buffer.from(f.page.queries.at(-1)!.inputs.image as Uint8Array), JPEG);
    }
  });

  it('binary outputs: all with binary_data_output, or each by its binary_data; an image output is its bytes, base64 in JSON', async () => {
    const binary = await py('--url', f.url, 'infer', 'mirror', '--image', `image=${IMAGE}`, '--binary-inputs', '--binary-outputs');
    assert.equal(binary.binary, true);
    assert.deepEqual(binary.outputs.image.shape, [1]);
    assert.deepEqual(Buffer.from(binary.outputs.image.data[0].base64, 'base64'), JPEG);
    const json = await py('--url', f.url, 'infer', 'mirror', '--image', `image=${IMAGE}`);
    assert.equal(json.binary, false);
    assert.deepEqual(Buffer.from(json.outputs.image.data[0].base64, 'base64'), JPEG);
    // By hand: one output binary, one JSON, one left out; the layout after the JSON is exactly the binary one.
    const res = await infer(f.url, 'picture', {
      inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: JPEG.byteLength + 4 } }],
      outputs: [{ name: 'received', parameters: { binary_data: true } }],
    }, Buffer.concat([Buffer.from(Uint32Array.of(JPEG.byteLength).buffer), JPEG]));
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.deepEqual(res.json, { model_name: 'picture', model_version: '1', outputs: [{ name: 'received', datatype: 'FP64', shape: [1], parameters: { binary_data_size: 8 } }] });
    const tail = res.body.subarray(Number(res.headers['inference-header-content-length']));
    assert.equal(tail.byteLength, 8);
    assert.equal(tail.readDoubleLE(0), JPEG.byteLength);
    const mixed = await infer(f.url, 'picture', {
      parameters: { binary_data_output: true },
      inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [JPEG.toString('base64')] }],
      outputs: [{ name: 'faces', parameters: { binary_data: false } }, { name: 'received' }],
    });
    assert.deepEqual(mixed.json.outputs.map((o: any) => [o.name, o.data === undefined ? o.parameters.binary_data_size : 'json']), [['faces', 'json'], ['received', 8]]);
  });

  it('a dropped network\'s tensors: datatype and shape both ways, in JSON and binary', async () => {
    const json = await py('--url', f.url, 'infer', 'network', '--tensor', 'x=FP32:2,4:[[1,2,3,4],[5,6,7,8.5]]');
    assert.deepEqual(json.outputs, { y: { datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8.5] } });
    assert.deepEqual(f.page.queries.at(-1)!.inputs, { x: { dtype: 'float32', dims: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8.5] } });
    const binary = await py('--url', f.url, 'infer', 'network', '--tensor', 'x=INT64:1,4:[1,-2,3,4000000000]', '--binary-inputs', '--binary-outputs');
    assert.deepEqual(binary, { status: 200, binary: true, model_name: 'network', id: null, outputs: { y: { datatype: 'INT64', shape: [1, 4], data: [1, -2, 3, 4000000000] } } });
    assert.deepEqual(f.page.queries.at(-1)!.inputs, { x: { dtype: 'int64', dims: [1, 4], data: [1, -2, 3, 4000000000] } });
    const bools = await py('--url', f.url, 'infer', 'network', '--tensor', 'x=BOOL:2:[true,false]', '--binary-inputs', '--binary-outputs');
    assert.deepEqual(bools.outputs.y, { datatype: 'BOOL', shape: [2], data: [true, false] });
  });

  it('bad tensors and bad requests are 400s naming what is wrong, and reach no page', async () => {
    const before = f.page.queries.length;
    const cases: [unknown, RegExp, Uint8Array?][] = [
      [{ inputs: [{ name: 'x', shape: [2], datatype: 'FP32', data: [1] }] }, /input "x": shape \[2\] holds 2 elements, data has 1/],
      [{ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: ['one'] }] }, /input "x": element 0 is "one", not a number \(datatype FP32\)/],
      [{ inputs: [{ name: 'x', shape: [1], datatype: 'FLOAT', data: [1] }] }, /input "x": unknown datatype "FLOAT"/],
      [{ inputs: [{ name: 'x', shape: [1], datatype: 'FP16', data: [1] }] }, /input "x": datatype FP16 is not supported here/],
      [{ inputs: [{ name: 'x', shape: [1], datatype: 'BYTES', data: ['1'] }] }, /input "x" is a number: send FP64 \[1\], got BYTES/],
      [{ inputs: [{ name: 'x', shape: [2], datatype: 'FP64', data: [1, 2] }] }, /input "x": expected one element \(FP64 \[1\]\), got shape \[2\]/],
      [{ inputs: [{ name: 'z', shape: [1], datatype: 'FP64', data: [1] }] }, /model "echo" has no input "z" \(inputs: x\)/],
      [{ inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }], outputs: [{ name: 'w' }] }, /model "echo" has no output "w" \(outputs: y\)/],
      [{ inputs: [{ name: 'x', shape: [-1], datatype: 'FP64', data: [1] }] }, /not an inference request: \/inputs\/0\/shape\/0 must be >= 0/],
      [{ inputs: 'x' }, /not an inference request: \/inputs must be array/],
      [{ inputs: [{ name: 'x', shape: [1], datatype: 'FP64' }] }, /input "x" has no "data" and no binary_data_size/],
      [{ inputs: [{ name: 'x', shape: [1], datatype: 'FP64', parameters: { binary_data_size: 4 } }] }, /input "x": shape \[1\] of FP64 takes 8 bytes, binary_data_size is 4/, new Uint8Array(4)],
      [{ inputs: [{ name: 'x', shape: [1], datatype: 'FP64', parameters: { binary_data_size: 16 } }] }, /binary_data_size 16 is not a length within the 8 binary bytes left/, new Uint8Array(8)],
      [{ inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }] }, /3 bytes after the JSON object belong to no input's binary_data_size/, new Uint8Array(3)],
    ];
    for (const [request, error, binary] of cases) {
      const res = await infer(f.url, 'echo', request, binary);
      assert.equal(res.status, 400, `${JSON.stringify(request)}: ${JSON.stringify(res.json)}`);
      assert.match(res.json.error, error);
      assert.deepEqual(Object.keys(res.json), ['error']);
    }
    const image = await infer(f.url, 'picture', { inputs: [{ name: 'image', shape: [1], datatype: 'UINT8', data: [1] }] });
    assert.match(image.json.error, /input "image" is an encoded image \(JPEG, PNG…\): send BYTES \[1\], got UINT8/);
    const notImage = await infer(f.url, 'picture', { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: ['aGVsbG8='] }] });
    assert.match(notImage.json.error, /input "image" does not decode as an image/);
    const notJson = await raw(`${f.url}/v2/models/echo/infer`, 'POST', { 'content-type': 'application/json' }, Buffer.from('{"inputs": ['));
    assert.equal(notJson.status, 400);
    assert.match(notJson.json.error, /the inference request is not valid JSON/);
    const badLength = await infer(f.url, 'echo', { inputs: [] }, new Uint8Array(0), { 'inference-header-content-length': '9999' });
    assert.match(badLength.json.error, /Inference-Header-Content-Length "9999" is not a length within the body's \d+ bytes/);
    assert.equal(f.page.queries.length, before);
    // The Python client reports the error as the protocol gives it.
    assert.deepEqual(await py('--url', f.url, 'infer', 'nope', '--tensor', 'x=FP32:1:[1]'), {
      status: 404, error: 'no model "nope" (models: echo, picture, mirror, loading, broken, network, kinds)',
    });
  });

  it('415 for a POST with no or another Content-Type (unless it names where its JSON ends), 413 past --max-body', async () => {
    const none = await raw(`${f.url}/v2/models/echo/infer`, 'POST', {}, Buffer.from('{"inputs": []}'));
    assert.equal(none.status, 415);
    assert.match(none.json.error, /unsupported Content-Type \(none given\)/);
    const text = await raw(`${f.url}/v2/models/echo/infer`, 'POST', { 'content-type': 'text/plain' }, Buffer.from('{"inputs": []}'));
    assert.equal(text.status, 415);
    // Triton's own clients send the binary form without a Content-Type.
    const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', parameters: { binary_data_size: 4 } }] }));
    const triton = await raw(`${f.url}/v2/models/echo/infer`, 'POST', { 'inference-header-content-length': String(head.byteLength) },
      Buffer.concat([head, Buffer.from(Float32Array.of(0.5).buffer)]));
    assert.deepEqual([triton.status, triton.json.outputs[0].data], [200, [0.5]]);
    const big = await infer(f.url, 'picture', { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: MAX_BODY } }] }, new Uint8Array(MAX_BODY));
    assert.equal(big.status, 413);
    assert.match(big.json.error, /over the limit of 262144 bytes \(--max-body\)/);
  });

  it('Host and Origin are checked as on every HTTP route', async () => {
    const host = await raw(`${f.url}/v2/models/echo/infer`, 'POST', { host: 'evil.example', 'content-type': 'application/json' }, Buffer.from('{"inputs": []}'));
    assert.equal(host.status, 403);
    assert.match(host.json.error, /Host "evil.example" is not allowed/);
    const origin = await raw(`${f.url}/v2/models/echo`, 'GET', { origin: 'https://evil.example' });
    assert.equal(origin.status, 403);
    assert.match(origin.json.error, /--allow-origin https:\/\/evil.example/);
  });

  it('the core\'s limits: 503 with Retry-After past --max-queue, 504 past --timeout, 503 when the page leaves mid-query', async () => {
    const act = (what: string) => infer(f.url, 'kinds', { inputs: [
      { name: 'x', shape: [1], datatype: 'FP64', data: [1] }, { name: 'act', shape: [1], datatype: 'BYTES', data: [what] },
    ] });
    const held = [act('hold'), act('hold'), act('hold')];
    await until(() => f.page.held.length === 3, 5000, 'three queries held by the page');
    const busy = await act('hold');
    assert.equal(busy.status, 503);
    assert.ok(busy.headers['retry-after'], 'Retry-After');
    assert.match(busy.json.error, /queue/);
    f.page.release();
    for (const r of await Promise.all(held)) assert.deepEqual(r.json.outputs, [{ name: 'y', datatype: 'FP64', shape: [1], data: [1] }]);

    const slow = await act('never');
    assert.equal(slow.status, 504);
    assert.match(slow.json.error, /timed out|did not answer/);

    const leaving = await act('leave');
    assert.equal(leaving.status, 503);
    assert.match(leaving.json.error, /the page running "kinds" went away before answering/);
    await f.page.ready(f.bridge.core);
    assert.equal((await act('')).status, 200);
  });

  it('fuzzing: mutated JSON and binary requests get a status of the protocol and an {"error"} body; good ones are answered throughout', { timeout: 5 * 60_000 }, async () => {
    const seed = fuzzSeed();
    console.log(`# KServe fuzz seed ${seed}`);
    const fz = new Fuzzer(seed);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const goods: [string, Record<string, unknown>, Buffer?][] = [
      ['picture', { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: JPEG.byteLength } }], outputs: [{ name: 'faces', parameters: { binary_data: true } }] }, JPEG],
      ['network', { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }], parameters: { binary_data_output: true } }, Buffer.from(Float32Array.of(1, 2, 3, 4).buffer)],
      ['echo/versions/1', { id: '1', inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }] }],
      ['kinds', { inputs: [{ name: 'x', shape: [1], datatype: 'INT8', data: [1] }, { name: 'v', shape: [3], datatype: 'FP32', data: [1, 2, 3] }, { name: 'options', shape: [1], datatype: 'BYTES', data: ['{}'] }] }],
    ];
    const statuses = new Map<number, number>();
    const rounds = fuzzRounds(300);
    try {
      for (let i = 0; i < rounds; i++) {
        const [model, request, binary] = fz.pick(goods);
        let head: Buffer = Buffer.from(JSON.stringify(fz.random() < 0.5 ? fz.mutateJson(request) : { ...request, inputs: (request.inputs as Record<string, unknown>[]).map((t) => fz.mutateJson(t)) }));
        let tail: Buffer = binary && fz.random() < 0.5 ? fz.mutateBytes(binary) : binary ?? Buffer.alloc(0);
        if (fz.random() < 0.2) { head = fz.mutateBytes(head); tail = Buffer.alloc(0); }
        const headers: Record<string, string> = { 'content-type': fz.pick(['application/json', 'application/json', 'application/octet-stream', 'application/octet-stream', 'text/plain', '']) };
        if (tail.byteLength || fz.random() < 0.2) headers['inference-header-content-length'] = fz.random() < 0.8 ? String(head.byteLength) : fz.pick([String(fz.int(head.byteLength * 2)), '-1', 'x', '']);
        if (!headers['content-type']) delete headers['content-type'];
        const res = await raw(`${f.url}/v2/models/${fz.random() < 0.9 ? model : fz.pick(['nope', 'echo/versions/9'])}/infer`, 'POST', headers, Buffer.concat([head, tail]));
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok([200, 400, 404, 413, 415, 503, 504].includes(res.status), `status ${res.status} at round ${i} (seed ${seed}): ${res.body.subarray(0, 300)}`);
        if (res.status !== 200) assert.equal(typeof res.json?.error, 'string', `round ${i} (seed ${seed}): ${res.body.subarray(0, 300)}`);
        if (i % 25 === 0) {
          const ok = await infer(f.url, 'echo', { inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [i] }] });
          assert.deepEqual(ok.json.outputs[0].data, [i]);
        }
      }
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    console.log(`# KServe statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.equal([...statuses.values()].reduce((a, b) => a + b, 0), rounds, 'every round ran');
    assert.deepEqual(unhandled, []);
    assert.equal(f.bridge.core.pageCount, 1);
  });
});
