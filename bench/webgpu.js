// WebGPU against WASM, in a browser: served by bench/webgpu_serve.py beside a built dist/ (see
// bench/WEBGPU.md). Query string: runs (default 30), warmups (10: V8 optimises WebAssembly as it runs), models (ids, comma-separated),
// backends (default wasm,webgpu), runtime=0 to skip the embed-API check, probe=1 for the adapter alone,
// post=0 to only show results.
const params = new URLSearchParams(location.search);
const runs = Number(params.get('runs') ?? 30);
const warmups = Number(params.get('warmups') ?? 10);
const backends = (params.get('backends') ?? 'wasm,webgpu').split(',');
const MODELS = [
  { id: 'face-detection', file: '/models/face-detection/model.onnx', dims: [1, 256, 256, 3] },
  { id: 'line-segments', file: '/models/line-segments/model.onnx', dims: [1, 320, 320, 4] },
  { id: 'ocr-det', file: '/models/ocr/det.onnx', dims: [1, 3, 192, 384] },
  { id: 'ocr-rec', file: '/models/ocr/rec.onnx', dims: [1, 3, 48, 320] },
];
const wanted = params.get('models')?.split(',');
const models = wanted ? MODELS.filter((m) => wanted.includes(m.id)) : MODELS;

const pre = document.getElementById('out');
const show = (msg) => { pre.textContent += `${msg}\n`; };
/** Progress goes to the server too, so a run that hangs still says how far it got. */
const log = (msg) => {
  show(msg);
  if (params.get('post') !== '0') fetch('/log', { method: 'POST', body: msg }).catch(() => {});
};

/** Every request in turn: on a fresh headless Chromium the first requestAdapter() can come back null
 *  ("A valid external Instance reference no longer exists") while a later one gets the GPU. */
async function pageAdapter() {
  if (!navigator.gpu) return { available: false, reason: 'navigator.gpu is missing' };
  const attempts = [];
  for (const powerPreference of [undefined, 'high-performance', 'low-power', undefined]) {
    const t = performance.now();
    const a = await navigator.gpu.requestAdapter(powerPreference ? { powerPreference } : undefined).catch((e) => ({ error: String(e) }));
    const info = !a ? null : a.error ? a : { ...Object.fromEntries(['vendor', 'architecture', 'device', 'description'].map((k) => [k, a.info?.[k]])), isFallbackAdapter: a.isFallbackAdapter ?? a.info?.isFallbackAdapter };
    attempts.push({ powerPreference: powerPreference ?? 'default', ms: Math.round(performance.now() - t), adapter: info });
  }
  const hardware = attempts.find((x) => x.adapter && !x.adapter.error && !x.adapter.isFallbackAdapter)?.adapter ?? null;
  return { available: true, hardware, attempts };
}

function bench() {
  return new Promise((resolve) => {
    const w = new Worker(new URL('./webgpu-worker.js', import.meta.url), { type: 'module' });
    w.onmessage = ({ data }) => {
      if (data.type === 'log') log(data.msg);
      else { w.terminate(); resolve(data.type === 'result' ? data.result : { error: data.error }); }
    };
    w.onerror = (e) => { w.terminate(); resolve({ error: `worker: ${e.message}` }); };
    w.postMessage({ models, backends, runs, warmups });
  });
}

/** The median of ten queries of `image`, after whatever ran before. */
async function queryP50(model, image) {
  const times = [];
  for (let i = 0; i < 10; i++) {
    const s = performance.now();
    await model.query({ image });
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return (times[4] + times[5]) / 2;
}

/** The product's own path: the embed API (dist/runtime.js) asked for WebGPU, then for WASM. */
async function runtimePath() {
  const out = {};
  const { loadModel } = await import(new URL('/runtime.js', location.origin).href);
  const image = await (await fetch('/fixtures/astronaut.jpg')).blob();
  // Each backend loaded without the runtime's warm-up (web/runtime/warm-up.ts) and with it, in turn: the
  // first query against the steady ones shows what the warm-up moves into loading on that backend.
  for (const [backend, warmUp] of [['webgpu', false], ['webgpu', true], ['wasm', false], ['wasm', true]]) {
    const r = (out[warmUp ? backend : `${backend}-cold`] = {});
    try {
      const t = performance.now();
      const model = await loadModel('face-detection', { baseUrl: `${location.origin}/`, backend, warmUp });
      r.loadMs = performance.now() - t;
      r.backend = model.backend;
      r.fallbackReason = model.fallbackReason;
      r.warmUp = model.warmUp && { runs: model.warmUp.runs, ms: model.warmUp.ms };
      const first = performance.now();
      const answer = await model.query({ image });
      r.firstQueryMs = performance.now() - first;
      r.queryP50Ms = await queryP50(model, image);
      r.firstOverSteady = r.firstQueryMs / r.queryP50Ms;
      r.faces = answer.faces;
      model.dispose();
    } catch (err) {
      r.error = String(err?.message ?? err);
    }
    log(`runtime ${backend}${warmUp ? '' : ' (no warm-up)'}: ${JSON.stringify({ ...r, faces: r.faces?.map((f) => ({ box: f.box, score: f.score })) })}`);
  }
  // The TFLite models on LiteRT.js's WebGPU delegate against its WASM build (face-detection and
  // line-segments converted from ONNX at install): each asked for WebGPU, then for WASM, a query's p50
  // over 10 after the first, and how far their first face's box and score (face models) moved between
  // the two. A model WebGPU cannot run should say why and run on WASM.
  out.tflite = {};
  for (const id of ['face-detection', 'line-segments', 'face-detection-short', 'face-mesh', 'person-segmentation']) {
    const r = (out.tflite[id] = {});
    for (const backend of ['webgpu', 'wasm']) {
      const x = (r[backend] = {});
      try {
        const t = performance.now();
        const model = await loadModel(id, { baseUrl: `${location.origin}/`, backend });
        x.loadMs = performance.now() - t;
        x.backend = model.backend;
        x.fallbackReason = model.fallbackReason;
        const answer = await model.query({ image });
        x.queryP50Ms = await queryP50(model, image);
        x.face = answer.faces?.[0] && { box: answer.faces[0].box, score: answer.faces[0].score };
        x.faces = answer.faces?.length;
        x.lines = answer.lines?.length;
        model.dispose();
      } catch (err) {
        x.error = String(err?.message ?? err);
      }
    }
    const [g, w] = [r.webgpu.face, r.wasm.face];
    if (g && w) r.faceDiff = Math.max(...g.box.map((v, k) => Math.abs(v - w.box[k])), Math.abs((g.score ?? 0) - (w.score ?? 0)));
    log(`runtime ${id}: ${JSON.stringify(r)}`);
  }
  const [a, b] = [out.webgpu?.faces, out.wasm?.faces];
  if (a && b && a.length === b.length) {
    out.faceDiff = Math.max(0, ...a.flatMap((f, i) => [...f.box.map((v, k) => Math.abs(v - b[i].box[k])), Math.abs(f.score - b[i].score)]));
  }
  return out;
}

const result = { userAgent: navigator.userAgent, crossOriginIsolated, startedAt: new Date().toISOString() };
try {
  // probe=1: only the adapter, to try browser flags quickly; only=runtime: the embed API alone, first
  // thing in a fresh browser (no adapter asked for before it), as a user's page would meet it.
  if (params.get('only') === 'runtime') result.runtime = await runtimePath();
  else {
    result.pageAdapter = await pageAdapter();
    log(`page adapter: ${JSON.stringify(result.pageAdapter)}`);
  }
  if (params.get('only') !== 'runtime' && params.get('probe') !== '1') {
    result.bench = await bench();
    if (params.get('runtime') !== '0') result.runtime = await runtimePath();
  }
} catch (err) {
  result.error = String(err?.stack ?? err);
  log(`error: ${result.error}`);
}
show(JSON.stringify(result, (k, v) => (k === 'times' ? undefined : v), 2));
if (params.get('post') !== '0') await fetch('/result', { method: 'POST', body: JSON.stringify(result) }).catch(() => {});
document.title = 'done';
