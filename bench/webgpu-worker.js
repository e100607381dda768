// Times each model's session.run on WASM and on WebGPU inside a module worker (as the runtime does),
// with the runtime's own session options (web/runtime/worker.ts), and compares their outputs.
// Driven by bench/webgpu.js: it posts {models, backends, runs, warmups}; this posts back
// {type: 'log' | 'result' | 'error', ...}.

const log = (msg) => postMessage({ type: 'log', msg });

/** The same inputs on every backend: uniform in [-1, 1) from a fixed seed (every model here takes
 *  images scaled to about that range). */
function input(dims, seed) {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return data;
}

function stats(times) {
  const t = [...times].sort((a, b) => a - b);
  const at = (q) => t[Math.min(t.length - 1, Math.floor(q * t.length))];
  return {
    n: t.length, min: t[0], p50: t.length % 2 ? t[(t.length - 1) / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2,
    p90: at(0.9), max: t[t.length - 1], mean: t.reduce((a, b) => a + b, 0) / t.length,
  };
}

/** Copies every output to plain numbers on the CPU (WebGPU outputs are downloaded by session.run). */
function snapshot(outputs) {
  const out = {};
  for (const [name, t] of Object.entries(outputs)) {
    out[name] = { dims: t.dims, type: t.type, data: Float64Array.from(t.data, Number) };
  }
  return out;
}

function compare(ref, other) {
  const per = {};
  let worst = 0;
  for (const [name, a] of Object.entries(ref)) {
    const b = other[name];
    if (!b) { per[name] = { missing: true }; worst = Infinity; continue; }
    let maxAbs = 0, maxRef = 0, sumAbs = 0, nonFinite = 0, at = -1;
    for (let i = 0; i < a.data.length; i++) {
      const x = a.data[i], y = b.data[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) { nonFinite++; continue; }
      const d = Math.abs(x - y);
      sumAbs += d;
      if (d > maxAbs) { maxAbs = d; at = i; }
      maxRef = Math.max(maxRef, Math.abs(x));
    }
    per[name] = {
      dims: a.dims, maxAbsDiff: maxAbs, meanAbsDiff: sumAbs / a.data.length, maxAbsRef: maxRef,
      relToMax: maxRef ? maxAbs / maxRef : 0, nonFinite, worstAt: at, sameDims: String(a.dims) === String(b.dims),
    };
    worst = Math.max(worst, maxAbs);
  }
  return { maxAbsDiff: worst, outputs: per };
}

async function adapterFacts() {
  if (!navigator.gpu) return { available: false, reason: 'navigator.gpu is missing in the worker' };
  let adapter = null, nulls = 0;
  while (!adapter && nulls < 3) { adapter = await navigator.gpu.requestAdapter(); if (!adapter) nulls++; }
  if (!adapter) return { available: false, reason: 'requestAdapter() returned null 3 times' };
  const i = adapter.info ?? {};
  return {
    available: true, nullsBefore: nulls, vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
    isFallbackAdapter: adapter.isFallbackAdapter ?? i.isFallbackAdapter, features: [...adapter.features].sort(),
    limits: {
      maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
    },
  };
}

onmessage = async ({ data: cfg }) => {
  try {
    // As the runtime does (web/runtime/engines/onnx/config.ts): the CPU-only build for WASM sessions, the JSEP
    // build (WebGPU) for WebGPU sessions; one WASM thread per core, up to 8.
    const bundles = { wasm: '/ort/ort.wasm.bundle.min.mjs', webgpu: '/ort/ort.bundle.min.mjs' };
    const orts = {};
    const ortFor = async (ep) => {
      if (!orts[ep]) {
        const o = await import(new URL(bundles[ep], location.origin).href);
        o.env.logLevel = 'error';
        o.env.wasm.numThreads = self.crossOriginIsolated ? Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 8)) : 1;
        orts[ep] = o;
      }
      return orts[ep];
    };
    const ort = await ortFor('webgpu');
    const result = {
      ortVersion: ort.env.versions?.web ?? ort.env.versions?.common, crossOriginIsolated: self.crossOriginIsolated,
      hardwareConcurrency: navigator.hardwareConcurrency, wasmThreads: ort.env.wasm.numThreads,
      workerAdapter: await adapterFacts(), models: [],
    };
    log(`worker: ort ${result.ortVersion}, ${result.wasmThreads} WASM threads, adapter ${JSON.stringify(result.workerAdapter).slice(0, 300)}`);
    for (const m of cfg.models) {
      const row = { id: m.id, file: m.file, dims: m.dims, backends: {} };
      const outputs = {};
      for (const ep of cfg.backends) {
        const r = { ok: false };
        row.backends[ep] = r;
        let session;
        try {
          const ort = await ortFor(ep);
          const feeds = {};
          let t = performance.now();
          session = await ort.InferenceSession.create(new URL(m.file, location.origin).href, {
            executionProviders: [ep], graphOptimizationLevel: 'all', logSeverityLevel: 3,
          });
          r.createMs = performance.now() - t;
          const name = session.inputNames[0];
          feeds[name] ??= new ort.Tensor('float32', input(m.dims, 12345), m.dims);
          t = performance.now();
          const first = await session.run({ [name]: feeds[name] });
          r.firstRunMs = performance.now() - t;
          outputs[ep] = snapshot(first);
          for (let i = 0; i < cfg.warmups; i++) await session.run({ [name]: feeds[name] });
          const times = [];
          for (let i = 0; i < cfg.runs; i++) {
            t = performance.now();
            await session.run({ [name]: feeds[name] });
            times.push(performance.now() - t);
          }
          r.run = stats(times);
          r.times = times.map((x) => Math.round(x * 100) / 100);
          r.ok = true;
          if (ep === 'webgpu' && ort.env.webgpu?.adapter) {
            const i = ort.env.webgpu.adapter.info ?? {};
            result.ortAdapter ??= { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description };
          }
        } catch (err) {
          r.error = String(err?.message ?? err);
        } finally {
          await session?.release().catch(() => {});
        }
        log(`worker: ${m.id} ${ep}: ${r.ok ? `create ${r.createMs.toFixed(0)} ms, first ${r.firstRunMs.toFixed(1)} ms, p50 ${r.run.p50.toFixed(2)} ms` : r.error}`);
      }
      const [a, b] = cfg.backends;
      if (outputs[a] && outputs[b]) row.diff = { between: `${a} vs ${b}`, ...compare(outputs[a], outputs[b]) };
      result.models.push(row);
    }
    postMessage({ type: 'result', result });
  } catch (err) {
    postMessage({ type: 'error', error: String(err?.stack ?? err) });
  }
};
