// OSCQuery against the real bridge and a fake page (no browser): the namespace of the fake page's models
// (structure; every form of the OSC listener's own table, OSC_ADDRESSES, so the two cannot drift; access,
// descriptions; each model's numeric replies, checked against what a numeric client receives), HOST_INFO with the real OSC port, one node by path, the
// errors, models coming and going as pages announce and leave, the Host and Origin checks; and DNS-SD
// discovery with python-zeroconf, inside a network namespace the test makes (mDNS is multicast: it must
// reach no other machine), where the advertisement must stay on loopback unless --host is wider.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { ECHO, FAKE_MODELS, PICTURE } from './helpers/fake-page-answers.ts';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { fixture } from './helpers/fixtures.ts';
import type { ScenarioResult } from './helpers/mdns-namespace.ts';
import { OscClient } from './helpers/osc.ts';
import { until } from './helpers/wait.ts';
import { mdnsScope } from '../bridge/protocols/oscquery/mdns.ts';
import { buildNamespace, findNode, type OscQueryNode } from '../bridge/protocols/oscquery/namespace.ts';
import { OSC_ADDRESSES } from '../bridge/protocols/osc/index.ts';
import { describeNumeric } from '../bridge/protocols/osc/numeric/index.ts';
import type { ModelView } from '../bridge/core/core.ts';
import type { Port } from '../web/contract/index.ts';

const ADDRESSES = ['server', 'query', 'info', 'data', 'error'];
/** The fake page's numeric replies in each model's space (mirror's image and the others' no outputs send none). */
const NUMERIC: Record<string, string[]> = { echo: ['y'], picture: ['faces', 'received'] };
/** The LAN stand-in in the discovery test's namespace: the bridge's end and the other (TEST-NET-2). */
const LAN = { bridge: '198.51.100.1', other: '198.51.100.2' };

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** A GET with any Host header (fetch will not send a forged one). */
function rawGet(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    request({ host: u.hostname, port: u.port, path, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    }).on('error', reject).end();
  });
}

/** Every node of the tree, by path. */
function walk(node: OscQueryNode, out = new Map<string, OscQueryNode>()): Map<string, OscQueryNode> {
  out.set(node.FULL_PATH, node);
  for (const child of Object.values(node.CONTENTS ?? {})) walk(child, out);
  return out;
}

describe('OSCQuery against a fake page', () => {
  let f: FakeBridge;
  let base: string;
  before(async () => {
    f = await startFakeBridge({ model: 'echo' });
    base = f.listeners.oscquery!;
  });
  after(async () => { await f?.close(); });

  it('is in the listener table (and /health) as http://127.0.0.1:<port>', async () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await (await fetch(`${f.url}/health`)).json() as { listeners: Record<string, string> };
    assert.equal(health.listeners.oscquery, base);
  });

  it('GET / is the whole namespace: the default model’s addresses at the root, each model’s under /models/<id>', async () => {
    const res = await get(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.type!, /^application\/json/);
    const root = res.body as OscQueryNode;
    assert.equal(root.FULL_PATH, '/');
    assert.equal(root.ACCESS, 0);
    assert.equal(root.TYPE, undefined, 'a container has no type');
    // The default model's numeric replies (/echo/y) after the models.
    assert.deepEqual(Object.keys(root.CONTENTS!), [...ADDRESSES, 'models', 'echo']);
    assert.deepEqual(Object.keys(root.CONTENTS!.models!.CONTENTS!), FAKE_MODELS.map((m) => m.id));
    for (const m of FAKE_MODELS) {
      const node = root.CONTENTS!.models!.CONTENTS![m.id]!;
      assert.equal(node.FULL_PATH, `/models/${m.id}`);
      assert.deepEqual(Object.keys(node.CONTENTS!), [...ADDRESSES, ...(NUMERIC[m.id] ?? [])]);
      assert.deepEqual(Object.keys(node.CONTENTS!.server!.CONTENTS!), ['connect', 'disconnect']);
      assert.ok(node.DESCRIPTION!.startsWith(`${m.title} (${m.state}`), node.DESCRIPTION);
    }
    // Every node says where it is, and every method what it takes and what it is for.
    for (const [path, node] of walk(root)) {
      assert.equal(node.FULL_PATH, path);
      if (node.TYPE === undefined) assert.equal(node.ACCESS, 0, `${path} is a container`);
      else {
        assert.match(node.TYPE, /^[a-zA-Z]*$/, `${path} has a TYPE of OSC type tags`);
        assert.ok([1, 2, 3].includes(node.ACCESS), `${path} ACCESS ${node.ACCESS}`);
        assert.ok(node.DESCRIPTION && node.DESCRIPTION.length > 10, `${path} is described`);
      }
    }
  });

  it('every form of the OSC listener’s addresses (its OSC_ADDRESSES), in every address space, and nothing else a client sends', async () => {
    const nodes = walk((await get(`${base}/`)).body);
    const spaces = ['', ...FAKE_MODELS.map((m) => `/models/${m.id}`)];
    const formsOf = (node: OscQueryNode) => [node, ...(node.OVERLOADS ?? [])];
    for (const prefix of spaces) {
      for (const a of OSC_ADDRESSES) {
        const path = `${prefix}${a.path}`;
        const node = nodes.get(path);
        assert.ok(node, `${path} is in the namespace`);
        const sent = formsOf(node).filter((o) => o.ACCESS === 2);
        assert.deepEqual(sent.map((o) => o.TYPE).sort(), [...a.forms].sort(), `${path}: the listener's forms`);
        // The first form with arguments is the TYPE; each form says what it does, for which model.
        assert.equal(node.TYPE, a.forms.find((f) => f !== ''), path);
        for (const o of sent) assert.match(o.DESCRIPTION!, prefix === '' ? /the default model/ : /"[^"]+" \([^)]+\)/, `${path} ${o.TYPE}`);
      }
    }
    const writable = [...nodes.values()].filter((n) => formsOf(n).some((o) => o.ACCESS === 2 || o.ACCESS === 3)).map((n) => n.FULL_PATH);
    assert.deepEqual(writable.sort(), spaces.flatMap((p) => OSC_ADDRESSES.map((a) => `${p}${a.path}`)).sort());
    // What the bridge sends back, as Runway's JSON.
    for (const prefix of ['', '/models/picture']) {
      const forms = (path: string) => formsOf(nodes.get(`${prefix}${path}`)!).map((n) => `${n.TYPE}:${n.ACCESS}`);
      assert.deepEqual(forms('/query'), ['s:2', 'b:2']);
      assert.deepEqual(forms('/info'), ['i:2', ':2', 'f:2', 's:1']);
      assert.deepEqual(forms('/server/connect').slice(0, 4), ['i:2', ':2', 'f:2', 's:2']);
      assert.deepEqual(forms('/data'), ['s:1']);
      assert.deepEqual(forms('/error'), ['s:1']);
    }
  });

  it('descriptions name the model and its inputs and outputs, and who gets each reply; the unprefixed addresses name the default model', async () => {
    const root = (await get(`${base}/`)).body as OscQueryNode;
    const nodes = walk(root);
    const text = (path: string) => nodes.get(path)!.DESCRIPTION!;
    assert.match(text('/models/picture/query'), /^Run "Picture" \(picture\): one string, the inputs as JSON/);
    assert.match(text('/models/picture/query'), /inputs: "image" \(image\)/);
    assert.match(nodes.get('/models/picture/query')!.OVERLOADS![0]!.DESCRIPTION, /^Run "Picture" \(picture\) on a JPEG or PNG image, a blob/);
    assert.match(text('/models/picture/data'), /outputs: "faces" \(array\); "received" \(number\)/);
    assert.match(text('/models/picture/server/connect'), /as \/models\/picture\/data s <JSON>, or to a numeric client as numbers at \/models\/picture\/<output>\/…/);
    assert.match(text('/query'), /^Run the default model \("Echo", echo\)/);
    assert.match(text('/query'), /inputs: "x" \(number\)/);
    assert.match(text('/server/connect'), /as \/data s <JSON>, or to a numeric client as numbers at \/echo\/<output>\/…/);
    assert.match(text('/models/echo'), /^Echo \(ready, wasm\): y = x$/);
    assert.match(text('/models/broken'), /^Broken \(failed\)$/);
    assert.match(text('/'), /default model \(echo\)/);
    // Who gets replies, as bridge/protocols/osc/index.ts sends them: registration by host, not "connected" senders.
    assert.match(text('/query'), /to every client registered in this space .*a sender whose host has no registration here gets its own query's output or failure at its source port/);
    assert.match(text('/query'), /come back as \/error to the registrations from its host in this space, else to its source port/);
    assert.match(text('/models/picture/error'), /to every client registered in this space \(numeric ones too\)/);
    assert.match(text('/models/picture/info'), /goes to the port given \(i\) at the sender's address, registered or not/);
    assert.match(text('/server/connect'), /at the port given \(i\), in the listener's default format \(JSON unless --osc-numeric\)/);
    const overload = (path: string, type: string) => nodes.get(path)!.OVERLOADS!.find((o) => o.TYPE === type)!.DESCRIPTION;
    assert.match(overload('/server/connect', 'isi'), /at the port given \(i\), s "numeric" then the slot count/);
    assert.match(overload('/server/connect', ''), /at the sender's source port and the reply port \(--osc-reply-port/);
    for (const [path, node] of nodes) assert.doesNotMatch(JSON.stringify(node.DESCRIPTION ?? ''), /not connected/, path);
  });

  it('each model’s numeric replies are read-only nodes: the default model’s unprefixed, each model’s under /models/<id>', async () => {
    const nodes = walk((await get(`${base}/`)).body);
    const listed = (model: string, ports: readonly Port[], prefix: string) =>
      describeNumeric(model, ports, { prefix }).filter((n) => !n.address.includes('<'));
    const expected = [...listed('echo', ECHO.info.outputs, ''), ...FAKE_MODELS.flatMap((m) => listed(m.id, m.info.outputs, '/models'))];
    assert.deepEqual(expected.map((n) => n.address).sort(),
      ['/echo/y', '/models/echo/y', '/models/picture/faces', '/models/picture/received']);
    for (const n of expected) {
      const node = nodes.get(n.address);
      assert.ok(node, n.address);
      assert.equal(node.ACCESS, 1, n.address);
      assert.equal(node.TYPE, n.types === '*' ? 'f' : n.types, n.address);
      assert.ok(node.DESCRIPTION!.startsWith(n.description), n.address);
    }
    // picture's faces is an array of no declared itemType: its type tags follow the values.
    assert.match(nodes.get('/models/picture/faces')!.DESCRIPTION!, /type tags as the values come: .*TYPE shows f/);
    assert.equal(nodes.get('/picture'), undefined, 'picture is not the default model');
    assert.match(nodes.get('/echo')!.DESCRIPTION!, /^Numeric replies of the default model \(echo\)/);
  });

  it('covers what a numeric client receives: every address of picture’s and echo’s numeric outputs has a node there or above it', async () => {
    const listener = await OscClient.open(f.listeners.osc!);
    try {
      listener.send('/server/connect', { type: 'i', value: listener.port }, 'numeric');
      listener.send('/models/picture/server/connect', { type: 'i', value: listener.port }, 'numeric', { type: 'i', value: 2 });
      listener.send('/info');
      await listener.nextJson('/info', 10_000); // both connects handled before it
      const query = (path: string, body: BodyInit, type: string) =>
        fetch(`${f.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
      assert.equal((await query('/query', JSON.stringify({ x: 7 }), 'application/json')).status, 200);
      assert.equal((await query('/models/picture/query', fixture('astronaut-256.jpg'), 'image/jpeg')).status, 200);
      const got = new Set<string>();
      while (!got.has('/models/picture/received')) got.add((await listener.next('the numeric outputs', 10_000)).address);
      assert.ok(got.has('/echo/y') && got.has('/models/picture/faces/1/box'), [...got].join(' '));
      const nodes = walk((await get(`${base}/`)).body);
      for (const address of got) {
        // An entry's index stands for every index; the nearest node with a TYPE, below the model's space, describes it.
        let path = address.replace(/\/\d+(?=\/|$)/g, '/0');
        while (path.split('/').length > (path.startsWith('/models/') ? 4 : 3) && nodes.get(path)?.TYPE === undefined) {
          path = path.slice(0, path.lastIndexOf('/'));
        }
        assert.equal(nodes.get(path)?.ACCESS, 1, `${address} is described (at ${path})`);
      }
    } finally {
      listener.send('/server/disconnect', { type: 'i', value: listener.port });
      listener.send('/models/picture/server/disconnect', { type: 'i', value: listener.port });
      listener.close();
    }
  });

  it('GET /?HOST_INFO: the OSC listener’s real port, UDP, and only the extensions supported', async () => {
    const res = await get(`${base}/?HOST_INFO`);
    assert.equal(res.status, 200);
    const osc = new URL(f.listeners.osc!);
    assert.deepEqual(Object.keys(res.body), ['NAME', 'EXTENSIONS', 'OSC_IP', 'OSC_PORT', 'OSC_TRANSPORT']);
    assert.match(res.body.NAME, /^pagebridge on /);
    assert.equal(res.body.OSC_IP, '127.0.0.1');
    assert.equal(res.body.OSC_PORT, Number(osc.port));
    assert.equal(res.body.OSC_TRANSPORT, 'UDP');
    const supported = Object.entries(res.body.EXTENSIONS).filter(([, on]) => on).map(([name]) => name);
    assert.deepEqual(supported, ['ACCESS', 'DESCRIPTION', 'OVERLOADS']);
    assert.equal(res.body.EXTENSIONS.LISTEN, false, 'no WebSocket: no streaming');
    assert.equal(res.body.EXTENSIONS.VALUE, false);
    // The path is irrelevant to HOST_INFO.
    assert.deepEqual((await get(`${base}/models/echo?HOST_INFO`)).body, res.body);
    // And the port is the OSC listener's: an /info there is answered.
    const client = await OscClient.open(`udp://${res.body.OSC_IP}:${res.body.OSC_PORT}`);
    try {
      client.send('/info');
      assert.deepEqual(await client.nextJson('/info', 10_000), ECHO.info);
    } finally {
      client.close();
    }
  });

  it('GET /some/path is that node alone; ?ATTRIBUTE one attribute of it', async () => {
    const whole = walk((await get(`${base}/`)).body);
    for (const path of ['/models/picture', '/models/picture/query', '/server', '/info']) {
      const res = await get(`${base}${path}`);
      assert.equal(res.status, 200, path);
      assert.deepEqual(res.body, whole.get(path));
    }
    // A trailing slash and percent-encoding are the same path.
    assert.deepEqual((await get(`${base}/models/picture/`)).body, whole.get('/models/picture'));
    assert.deepEqual((await get(`${base}/models/%70icture/query`)).body, whole.get('/models/picture/query'));
    assert.deepEqual((await get(`${base}/models/picture/query?TYPE`)).body, { TYPE: 's' });
    assert.deepEqual((await get(`${base}/models/picture/data?ACCESS`)).body, { ACCESS: 1 });
    assert.deepEqual((await get(`${base}/info?OVERLOADS`)).body, { OVERLOADS: whole.get('/info')!.OVERLOADS });
    assert.deepEqual((await get(`${base}/models/picture?DESCRIPTION`)).body, { DESCRIPTION: whole.get('/models/picture')!.DESCRIPTION });
    assert.deepEqual(Object.keys((await get(`${base}/models?CONTENTS`)).body.CONTENTS), FAKE_MODELS.map((m) => m.id));
    // A container has no TYPE: an empty object, as the proposal answers.
    assert.deepEqual((await get(`${base}/models/picture?TYPE`)).body, {});
  });

  it('errors: 404 for no such node, 204 for an attribute not supported, 400 for an unknown one, 405 for anything but GET', async () => {
    // A run of slashes before a last character: trimmed in one pass (a `/\/+$/` backtracked on it quadratically).
    for (const path of ['/nope', '/models/nope', '/models/picture/nope', '/query/deeper', '/models//query', `${'/'.repeat(2_000)}x`]) {
      const res = await get(`${base}${path}`);
      assert.equal(res.status, 404, path.slice(0, 40));
      assert.match(res.type!, /^application\/json/);
      assert.match(res.body.error, /^no OSC node at /);
    }
    assert.equal((await get(`${base}/nope?TYPE`)).status, 404);
    for (const attribute of ['VALUE', 'RANGE', 'UNIT', 'CLIPMODE']) {
      const res = await get(`${base}/models/picture/query?${attribute}`);
      assert.equal(res.status, 204, attribute);
      assert.equal(res.body, undefined);
    }
    const unknown = await get(`${base}/query?GABBAGABBAHEY`);
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error, /^unknown attribute "GABBAGABBAHEY": use FULL_PATH, /);
    assert.equal((await get(`${base}/query?TYPE&ACCESS`)).status, 400);
    assert.equal((await get(`${base}/%E0%A4%A`)).status, 400);
    const post = await fetch(`${base}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD, OPTIONS');
    assert.match(((await post.json()) as { error: string }).error, /^POST is not served/);
    const long = await get(`${base}/${'a'.repeat(3000)}`);
    assert.equal(long.status, 414);
    assert.match(long.body.error, /more than 2048/);
  });

  it('refuses a DNS-rebinding Host and a foreign Origin (403, JSON, the reason readable by the refused page); a localhost page may read it (CORS)', async () => {
    const rebinding = await rawGet(base, '/', { host: 'attacker.example:5678' });
    assert.equal(rebinding.status, 403);
    assert.match(rebinding.body.error, /^Host "attacker\.example:5678" is not allowed/);
    const foreign = await get(`${base}/`, { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
    assert.match(foreign.body.error, /^Origin "https:\/\/evil\.example" is not allowed: start the bridge with --allow-origin/);
    // The refused page may read why (and nothing else: no route ran).
    assert.equal(foreign.headers.get('access-control-allow-origin'), 'https://evil.example');
    assert.equal(foreign.body.FULL_PATH, undefined);
    const local = await get(`${base}/?HOST_INFO`, { origin: 'http://localhost:3000' });
    assert.equal(local.status, 200);
    assert.equal(local.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    assert.equal((await rawGet(base, '/', { host: `localhost:${new URL(base).port}` })).status, 200);
  });

  it('models appear as a page announces them and go when it leaves', async () => {
    const EXTRA = { ...PICTURE, id: 'extra', title: 'Extra', description: 'announced by a second page' };
    const ids = async () => Object.keys((await get(`${base}/models?CONTENTS`)).body.CONTENTS);
    assert.equal((await get(`${base}/models/extra`)).status, 404);
    const page = await f.openPage({ models: [EXTRA] });
    assert.deepEqual(await ids(), [...FAKE_MODELS.map((m) => m.id), 'extra']);
    const extra = (await get(`${base}/models/extra`)).body as OscQueryNode;
    assert.equal(extra.DESCRIPTION, 'Extra (ready, webgpu): announced by a second page');
    assert.match(extra.CONTENTS!.query!.DESCRIPTION!, /^Run "Extra" \(extra\)/);
    page.close();
    await until(async () => !(await ids()).includes('extra'), 10_000, '/models/extra to go');
    assert.equal((await get(`${base}/models/extra/query`)).status, 404);
  });
});

describe('OSCQuery before any page', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge({ pageModels: false }); });
  after(async () => { await f?.close(); });

  it('lists the addresses with no model, then the first page’s models with the first as the default', async () => {
    const base = f.listeners.oscquery!;
    const empty = (await get(`${base}/`)).body as OscQueryNode;
    assert.deepEqual(Object.keys(empty.CONTENTS!), [...ADDRESSES, 'models']);
    assert.deepEqual(empty.CONTENTS!.models!.CONTENTS, {});
    assert.match(empty.CONTENTS!.query!.DESCRIPTION!, /^Run the default model \(none is loaded yet\)/);
    const page = await f.openPage();
    const root = (await get(`${base}/`)).body as OscQueryNode;
    assert.deepEqual(Object.keys(root.CONTENTS!.models!.CONTENTS!), FAKE_MODELS.map((m) => m.id));
    assert.match(root.CONTENTS!.query!.DESCRIPTION!, /^Run the default model \("Echo", echo\)/);
    page.close();
    await until(async () => Object.keys((await get(`${base}/models?CONTENTS`)).body.CONTENTS).length === 0, 10_000, 'the models to go');
  });
});

describe('the namespace, built from models', () => {
  const view = (id: string): ModelView => ({ id, title: id, info: { inputs: [{ name: 'image', type: 'image' }], outputs: [{ name: 'faces', type: 'array' }] }, state: 'ready', pages: 1 });

  it('leaves out a model whose id cannot be one part of an OSC address', () => {
    const root = buildNamespace([view('a/b'), view('ok')], 'ok');
    assert.deepEqual(Object.keys(findNode(root, '/models')!.CONTENTS!), ['ok']);
  });

  /** face-detection's output, as its model.json declares it (public/models/face-detection/model.json). */
  const FACES: Port = {
    name: 'faces', type: 'array', description: 'One entry per face',
    itemType: { type: 'object', properties: { box: { type: 'vector', length: 4 }, score: { type: 'number' }, keypoints: { type: 'array', length: 6, itemType: { type: 'vector', length: 2 } } } },
  };
  const model = (id: string, outputs: Port[]): ModelView => ({ ...view(id), info: { inputs: [], outputs } });

  it('lists numeric entries by entry 0, saying that it stands for 0…count-1; no placeholder or `*` in a path or TYPE', () => {
    const root = buildNamespace([model('face-detection', [FACES])], 'face-detection');
    assert.deepEqual(findNode(root, '/face-detection/faces/count'), {
      FULL_PATH: '/face-detection/faces/count', DESCRIPTION: 'How many faces entries there are; sent to numeric clients', ACCESS: 1, TYPE: 'i',
    });
    for (const prefix of ['', '/models']) {
      const at = `${prefix}/face-detection/faces`;
      assert.equal(findNode(root, `${at}/0/box`)!.TYPE, 'ffff');
      assert.equal(findNode(root, `${at}/0/score`)!.TYPE, 'f');
      assert.equal(findNode(root, `${at}/0/keypoints`)!.TYPE, 'f'.repeat(12));
      assert.equal(findNode(root, `${at}/0/keypoints`)!.ACCESS, 1);
      assert.match(findNode(root, `${at}/0/box`)!.DESCRIPTION!, new RegExp(`listed for entry 0: entry i at ${at}/<i>/box, i from 0 to count-1`));
      const entry = findNode(root, `${at}/0`)!;
      assert.equal(entry.ACCESS, 0);
      assert.match(entry.DESCRIPTION!, /^Entry 0 of .*i from 0 to count-1 \(for a client registered with s "numeric" N, exactly 0 to N-1/);
      // (An index-like key comes first in a JSON object, whatever the order it was added in.)
      assert.deepEqual(Object.keys(findNode(root, at)!.CONTENTS!), ['0', 'count']);
    }
    for (const [path, node] of walk(root)) {
      assert.doesNotMatch(path, /[<>*]/, path);
      if (node.TYPE !== undefined) assert.match(node.TYPE, /^[a-z]*$/, path);
    }
  });

  it('shows a repeated tag once and tags that follow the values as f, saying so; a point name not known in advance on its container', () => {
    const root = buildNamespace([model('m', [
      { name: 't', type: 'tensor' },
      { name: 'any', type: 'array' },
      { name: 'points', type: 'array', itemType: { type: 'object', properties: { name: { type: 'string' }, x: { type: 'number' } } } },
    ])], undefined);
    const dims = findNode(root, '/models/m/t/dims')!;
    assert.equal(dims.TYPE, 'i');
    assert.match(dims.DESCRIPTION!, /type tags i\*: the last repeats, one per value; TYPE shows it once/);
    assert.equal(findNode(root, '/models/m/t')!.TYPE, 'if');
    assert.equal(findNode(root, '/models/m/t/count')!.TYPE, 'i');
    assert.equal(findNode(root, '/models/m/any')!.TYPE, 'f');
    assert.match(findNode(root, '/models/m/any')!.DESCRIPTION!, /type tags as the values come/);
    const points = findNode(root, '/models/m/points')!;
    assert.equal(points.ACCESS, 0);
    assert.deepEqual(points.CONTENTS, {});
    assert.match(points.DESCRIPTION!, /^Below: \/models\/m\/points\/<name> f, one address per value/);
  });

  it('never puts a numeric reply in place of or inside the listener’s own addresses', () => {
    const outputs: Port[] = [{ name: 'query', type: 'number' }, { name: 'data', type: 'text' }, { name: 'server', type: 'number' }, { name: 'ok', type: 'number' }];
    const root = buildNamespace([model('query', outputs), model('models', outputs)], 'query');
    assert.equal(findNode(root, '/models/query/query')!.TYPE, 's');
    assert.equal(findNode(root, '/models/query/query')!.ACCESS, 2);
    assert.equal(findNode(root, '/models/query/data')!.TYPE, 's');
    assert.equal(findNode(root, '/models/query/server')!.TYPE, undefined);
    assert.deepEqual(Object.keys(findNode(root, '/models/query/server')!.CONTENTS!), ['connect', 'disconnect']);
    assert.equal(findNode(root, '/models/query/ok')!.TYPE, 'f');
    // The default model "query" sends /query/ok: not below the listener's /query.
    assert.equal(findNode(root, '/query')!.CONTENTS, undefined);
    assert.equal(findNode(root, '/query/ok'), undefined);
    // A model named "models" is listed in its own space only: /models holds one space per model.
    assert.deepEqual(Object.keys(findNode(root, '/models')!.CONTENTS!), ['query', 'models']);
    assert.equal(findNode(root, '/models/models/ok')!.TYPE, 'f');
  });
});

describe('mDNS scope by --host', () => {
  it('loopback hosts stay on the loopback interface with their own address; wider ones go on the LAN', () => {
    assert.deepEqual(mdnsScope('127.0.0.1'), { loopback: true, interface: '127.0.0.1', addresses: ['127.0.0.1'], ipv6: false });
    assert.deepEqual(mdnsScope('localhost'), { loopback: true, interface: '127.0.0.1', addresses: ['127.0.0.1'], ipv6: false });
    assert.deepEqual(mdnsScope('::1'), { loopback: true, interface: '127.0.0.1', addresses: ['::1'], ipv6: true });
    assert.deepEqual(mdnsScope('0.0.0.0'), { loopback: false, ipv6: false });
    assert.deepEqual(mdnsScope('::'), { loopback: false, ipv6: true });
    assert.deepEqual(mdnsScope('192.168.1.20'), { loopback: false, interface: '192.168.1.20', addresses: ['192.168.1.20'], ipv6: false });
  });
});

/** How this machine can make a network namespace: as root, or through a user namespace; undefined if not at all. */
function namespaceCommand(): string[] | undefined {
  for (const command of [['unshare', '--net'], ['unshare', '--user', '--map-root-user', '--net']]) {
    if (spawnSync(command[0]!, [...command.slice(1), 'true'], { stdio: 'ignore' }).status === 0) return command;
  }
  return undefined;
}

describe('DNS-SD discovery (python-zeroconf, in a network namespace of its own)', () => {
  it('finds _oscjson._tcp and _osc._udp at the bridge’s ports, on loopback only; a wider --host on the LAN; both withdrawn on close', async (t) => {
    const unshare = namespaceCommand();
    const zeroconf = spawnSync('/usr/bin/python3', ['-c', 'import zeroconf'], { stdio: 'ignore' }).status === 0;
    const missing = !unshare ? 'no network namespace can be made here (unshare --net)' : !zeroconf ? 'Debian\'s python3-zeroconf is not installed' : undefined;
    if (missing !== undefined || !unshare) {
      // CI installs what this needs (.ci/run): there, a missing piece is a failure, not a skip.
      if (process.env.CI) assert.fail(missing);
      t.skip(missing);
      return;
    }
    // In the namespace: lo up as the host's is (no MULTICAST flag: multicast sent with 127.0.0.1 as its
    // interface is delivered on lo all the same), and a veth pair standing in for a LAN.
    const setup = [
      'set -e',
      'ip link set lo up',
      'if ip link add pb0 type veth peer name pb1 2>/dev/null; then',
      `  ip addr add ${LAN.bridge}/24 dev pb0; ip addr add ${LAN.other}/24 dev pb1; ip link set pb0 up; ip link set pb1 up`,
      `  export PAGEBRIDGE_TEST_LAN=${LAN.bridge},${LAN.other}`,
      'fi',
      'exec node --import tsx test/helpers/mdns-namespace.ts',
    ].join('\n');
    const child = spawn(unshare[0]!, [...unshare.slice(1), '--', 'sh', '-c', setup], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
    });
    assert.equal(code, 0, `${out}\n${err}`);
    const results = JSON.parse(out.trim().split('\n').at(-1)!) as ScenarioResult[];

    const [loopback, lan] = results;
    for (const r of results) {
      const found = (type: string) => r.found.find((s) => s.type === type);
      const oscquery = found('_oscjson._tcp.local.');
      const osc = found('_osc._udp.local.');
      assert.ok(oscquery && osc, `${r.host}: found ${JSON.stringify(r.found)}`);
      assert.equal(oscquery.port, Number(new URL(r.listeners.oscquery!).port));
      assert.equal(osc.port, Number(new URL(r.listeners.osc!).port));
      assert.match(oscquery.name!, /^pagebridge \(\d+\)\._oscjson\._tcp\.local\.$/);
      // The address records are where the bridge listens, nothing else.
      assert.deepEqual(oscquery.addresses, [r.host]);
      assert.deepEqual(osc.addresses, [r.host]);
      // Withdrawn on close (goodbyes with TTL 0), not left to expire.
      assert.deepEqual(r.removed.map((s) => s.type).sort(), ['_osc._udp.local.', '_oscjson._tcp.local.']);
    }
    // On loopback the responses arrived on lo alone; with --host on the LAN stand-in, never on lo.
    assert.ok(loopback!.responses.lo! > 0, JSON.stringify(loopback!.responses));
    assert.deepEqual(Object.keys(loopback!.responses), ['lo']);
    assert.match(loopback!.logs.join('\n'), /on the loopback interface only/);
    if (lan) {
      assert.equal(lan.responses.lo, undefined, JSON.stringify(lan.responses));
      assert.ok(Object.keys(lan.responses).some((i) => i === 'pb0' || i === 'pb1'), JSON.stringify(lan.responses));
      assert.match(lan.logs.join('\n'), /on the LAN/);
    } else {
      t.diagnostic('no veth pair could be made in the namespace: the LAN scenario did not run');
    }
  });
});
