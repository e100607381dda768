// The page: loads the catalogue's models into the runtime, lets a person try them on an image, and
// serves them to the bridge over the relay when opened from the bridge's link.
import { fetchManifest, loadModel, type Model } from './runtime/index.ts';
import { RelayClient } from './relay/client.ts';
import { ProgramRunner } from './programs/runner.ts';
import type { ModelAnnouncement, ModelManifest, Values } from './runtime/types.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const baseUrl = new URL('./', location.href).href;

interface Entry {
  manifest: ModelManifest;
  model?: Model;
  state: ModelAnnouncement['state'];
  error?: string;
  progress?: number;
  stage?: string;
  lastMs?: number;
}
const entries = new Map<string, Entry>();

// ── relay ───────────────────────────────────────────────────────────────────────────────────────
const params = new URLSearchParams(location.hash.slice(1));
const token = params.get('token');
async function queryModel(id: string, inputs: Values): Promise<Values> {
  const e = entries.get(id);
  if (!e?.model) throw new Error(`model "${id}" is not loaded in this page`);
  const started = performance.now();
  const outputs = await e.model.query(inputs);
  e.lastMs = performance.now() - started;
  renderModels();
  return outputs;
}

// Programs of the runtime WebSocket, each in its own worker; they may use the page's models.
const programs = new ProgramRunner({
  query: queryModel,
  models: () => announcements().map((a) => ({ id: a.id, title: a.title, state: a.state, ...a.info })),
  ended: (report) => relay?.event('program.ended', report),
}, baseUrl);

const relay = token ? new RelayClient(relayUrl(params.get('bridge'), token), {
  models: announcements,
  query: (id, inputs) => queryModel(id, inputs),
  call: (kind, payload) => programs.call(kind, payload),
  status: (state) => {
    const el = $('bridge-state');
    el.textContent = state === 'connected' ? 'bridge connected' : state === 'connecting' ? 'connecting to bridge…' : 'bridge disconnected, retrying…';
    el.classList.toggle('ok', state === 'connected');
  },
}) : undefined;

function relayUrl(bridge: string | null, token: string): string {
  const host = bridge ?? location.host;
  const scheme = location.protocol === 'https:' && !bridge ? 'wss' : 'ws';
  return `${scheme}://${host}/runtime?token=${encodeURIComponent(token)}`;
}

function announcements(): ModelAnnouncement[] {
  return [...entries.values()].map((e) => ({
    id: e.manifest.id, title: e.manifest.title ?? e.manifest.id, description: e.manifest.description,
    license: e.manifest.license, info: { inputs: e.manifest.inputs, outputs: e.manifest.outputs },
    state: e.state, error: e.error, backend: e.model?.backend, fallbackReason: e.model?.fallbackReason, size: e.model?.size,
  }));
}

// ── models ──────────────────────────────────────────────────────────────────────────────────────
function renderModels(): void {
  const list = $('models');
  list.replaceChildren(...[...entries.values()].map((e) => {
    const li = document.createElement('li');
    li.dataset.model = e.manifest.id;
    li.dataset.state = e.state;
    const title = document.createElement('div');
    title.className = 'title';
    title.textContent = e.manifest.title ?? e.manifest.id;
    const meta = document.createElement('div');
    meta.className = 'meta';
    const bits = [e.manifest.id];
    if (e.state === 'loading') bits.push(e.stage === 'compile' ? 'compiling…' : `downloading ${Math.round((e.progress ?? 0) * 100)}%`);
    if (e.model) {
      bits.push(e.model.backend.toUpperCase(), `${(e.model.size / 1e6).toFixed(1)} MB`, `loaded in ${Math.round(e.model.loadMs)} ms`);
      if (e.lastMs !== undefined) bits.push(`last run ${Math.round(e.lastMs)} ms`);
    }
    meta.textContent = bits.join(' · ');
    li.append(title, meta);
    if (e.state === 'loading') {
      const bar = document.createElement('progress');
      if (e.stage !== 'compile' && e.progress !== undefined) bar.value = e.progress;
      li.append(bar);
    }
    if (e.model?.fallbackReason && e.model.backend === 'wasm') {
      const why = document.createElement('div');
      why.className = 'meta';
      why.textContent = `WASM because ${e.model.fallbackReason}`;
      li.append(why);
    }
    if (e.error) {
      const err = document.createElement('div');
      err.className = 'error';
      err.textContent = e.error;
      li.append(err);
    }
    return li;
  }));
  const select = $<HTMLSelectElement>('model-select');
  const current = select.value;
  select.replaceChildren(...[...entries.values()].map((e) => new Option(e.manifest.title ?? e.manifest.id, e.manifest.id)));
  if (current) select.value = current;
}

async function loadCatalogue(): Promise<void> {
  const res = await fetch(new URL('models/index.json', baseUrl));
  const { models } = (await res.json()) as { models: string[] };
  const manifests = await Promise.all(models.map((id) => fetchManifest(id, baseUrl)));
  for (const m of manifests) entries.set(m.id, { manifest: m, state: 'loading', progress: 0 });
  renderModels();
  relay?.announce();
  // One at a time: the worker compiles one session at once anyway, and the first is ready sooner.
  for (const m of manifests) {
    const e = entries.get(m.id)!;
    try {
      e.model = await loadModel(m.id, {
        baseUrl,
        onProgress: (p) => {
          e.stage = p.stage;
          if (p.total) e.progress = (p.loaded ?? 0) / p.total;
          renderModels();
        },
      });
      e.state = 'ready';
    } catch (err) {
      e.state = 'failed';
      e.error = (err as Error).message;
    }
    renderModels();
    relay?.announce();
  }
}

// ── try it ──────────────────────────────────────────────────────────────────────────────────────
async function runOnFile(file: Blob): Promise<void> {
  const id = $<HTMLSelectElement>('model-select').value;
  const e = entries.get(id);
  const state = $('run-state');
  if (!e?.model) { state.textContent = `${id} is not loaded yet`; return; }
  const bitmap = await createImageBitmap(file);
  const canvas = $<HTMLCanvasElement>('view');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  $('drop').classList.add('has-image');
  state.textContent = 'running…';
  try {
    const started = performance.now();
    const outputs: Values = await e.model.query({ image: new Uint8Array(await file.arrayBuffer()) });
    e.lastMs = performance.now() - started;
    e.model.draw(ctx, outputs, canvas.width, canvas.height);
    $('output').textContent = JSON.stringify(outputs, null, 2);
    state.textContent = `${id}: ${Math.round(e.lastMs)} ms on ${e.model.backend.toUpperCase()}`;
    relay?.publish(id, outputs, 'page');
    renderModels();
  } catch (err) {
    state.textContent = `${id} failed: ${(err as Error).message}`;
  }
}

$<HTMLInputElement>('image-input').addEventListener('change', (ev) => {
  const file = (ev.target as HTMLInputElement).files?.[0];
  if (file) void runOnFile(file);
});
const drop = $('drop');
drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (ev) => {
  ev.preventDefault();
  drop.classList.remove('over');
  const file = ev.dataTransfer?.files[0];
  if (file) void runOnFile(file);
});
drop.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') $<HTMLInputElement>('image-input').click(); });

relay?.connect();
void loadCatalogue();
