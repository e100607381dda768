// The page: loads the catalogue's models into the runtime, lets a person try them (image, camera,
// audio, JSON), and serves them to the bridge over the relay when opened from the bridge's link.
import type { Stream } from './runtime/index.ts';
import type { Values } from './contract/index.ts';
import { $, copyButton, el } from './ui/dom.ts';
import { renderNetwork } from './ui/network.ts';
import { exampleValue } from './ui/snippets.ts';
import { startMicrophone } from './ui/microphone.ts';
import { Catalogue, modelsInHash, type Entry } from './page/catalogue.ts';
import { ModelSelection } from './page/selection.ts';
import { BridgeLink, type BridgeInfo } from './page/bridge-link.ts';

const baseUrl = new URL('./', location.href).href;

// The observer's functions are defined below; the catalogue calls it only after this module has run.
const catalogue = new Catalogue(baseUrl, {
  changed: () => renderModels(),
  progressed: () => scheduleRender(),
  settled: () => showNetwork(),
  added: (e) => {
    if (e.state === 'ready') selection.choose(e.manifest.id);
    showInputs();
  },
  announce: () => link.announce(),
});
const selection = new ModelSelection(catalogue);
let bridge: BridgeInfo = {};

const selected = () => selection.entry;

const link = new BridgeLink(catalogue, baseUrl, (info) => { bridge = info; showNetwork(); });

// ── models ──────────────────────────────────────────────────────────────────────────────────────
let renderTimer: ReturnType<typeof setTimeout> | undefined;

/** Re-renders at most a few times a second: a busy model answers hundreds of queries a second, and
 *  rebuilding the list for each would cost the page more than the model does. */
function scheduleRender(): void {
  renderTimer ??= setTimeout(() => { renderTimer = undefined; renderModels(); }, 250);
}

function renderModels(): void {
  $('models').replaceChildren(...catalogue.list().map((e) => {
    const bits = [e.manifest.id];
    if (e.state === 'loading') bits.push(e.stage === 'compile' ? 'compiling…' : `downloading ${Math.round((e.progress ?? 0) * 100)}%`);
    if (e.model) {
      bits.push(e.model.backend.toUpperCase(), `${(e.model.size / 1e6).toFixed(1)} MB`, `loaded in ${Math.round(e.model.loadMs)} ms`);
      if (e.lastMs !== undefined) bits.push(`last run ${Math.round(e.lastMs)} ms`);
    }
    const bar = e.state === 'loading' ? el('progress', { 'aria-label': `Loading ${e.manifest.id}` }) : undefined;
    if (bar && e.stage !== 'compile' && e.progress !== undefined) bar.value = e.progress;
    return el('li', { 'data-model': e.manifest.id, 'data-state': e.state },
      el('div', { class: 'title' }, e.manifest.title ?? e.manifest.id),
      el('div', { class: 'meta' }, bits.join(' · ')),
      e.manifest.description ? el('div', { class: 'meta' }, e.manifest.description) : undefined,
      bar,
      e.model?.fallbackReason && e.model.backend === 'wasm' ? el('div', { class: 'meta' }, `WASM because ${e.model.fallbackReason}`) : undefined,
      e.manifest.license ? el('div', { class: 'meta' }, `License: ${e.manifest.license}`) : undefined,
      e.error ? el('div', { class: 'error' }, e.error) : undefined,
      e.state === 'ready' ? el('button', { type: 'button', class: 'small', 'data-action': 'unload', 'data-id': e.manifest.id },
        e.manifest.adapter === 'tensor' && catalogue.isDropped(e) ? 'Remove' : 'Unload')
        : e.state === 'unloaded' || e.state === 'failed' ? el('button', { type: 'button', class: 'small', 'data-action': 'load', 'data-id': e.manifest.id }, 'Load')
          : undefined);
  }));
  if (selection.syncOptions()) showInputs();
}

$('models').addEventListener('click', (ev) => {
  const button = (ev.target as HTMLElement).closest('button[data-action]');
  const e = catalogue.get(button?.getAttribute('data-id') ?? '');
  if (!button || !e) return;
  if (button.getAttribute('data-action') === 'unload') void catalogue.unload(e);
  else void catalogue.load(e);
});

// ── trying a model ──────────────────────────────────────────────────────────────────────────────
const canvas = $<HTMLCanvasElement>('view');
const ctx2d = canvas.getContext('2d')!;

/** Shows an output (drawn over `source` when there is one) and passes it to the bridge. */
function show(e: Entry, outputs: Values, ms: number, source?: CanvasImageSource & { width?: number; height?: number; videoWidth?: number; videoHeight?: number }): void {
  if (source && e.model) {
    canvas.width = source.videoWidth || Number(source.width);
    canvas.height = source.videoHeight || Number(source.height);
    ctx2d.drawImage(source, 0, 0);
    e.model.draw(ctx2d, outputs, canvas.width, canvas.height);
    $('drop').classList.add('has-image');
  }
  $('output').textContent = JSON.stringify(outputs, null, 2);
  catalogue.ran(e, ms);
  link.publish(e.manifest.id, outputs);
}

async function run(inputs: Values, source?: ImageBitmap): Promise<void> {
  const e = selected();
  const state = $('run-state');
  if (!e?.model) { state.textContent = `${e?.manifest.id ?? 'the model'} is not loaded yet`; return; }
  state.textContent = 'running…';
  try {
    const started = performance.now();
    const outputs = await e.model.query(inputs);
    const ms = performance.now() - started;
    show(e, outputs, ms, source);
    state.textContent = `${e.manifest.id}: ${Math.round(ms)} ms on ${e.model.backend.toUpperCase()}`;
  } catch (err) {
    state.textContent = `${e.manifest.id} failed: ${(err as Error).message}`;
  }
}

async function runImage(file: Blob): Promise<void> {
  const e = selected();
  const port = e?.manifest.inputs.find((p) => p.type === 'image');
  if (!e || !port) { $('run-state').textContent = `${e?.manifest.id ?? 'this model'} takes no image`; return; }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    $('run-state').textContent = 'that file is not an image this browser can decode';
    return;
  }
  await run({ [port.name]: new Uint8Array(await file.arrayBuffer()) }, bitmap);
}

/** Which controls the selected model's inputs call for. */
function showInputs(): void {
  const e = selected();
  const ports = e?.manifest.inputs ?? [];
  const image = ports.some((p) => p.type === 'image');
  const audio = ports.some((p) => p.type === 'audio');
  $('image-controls').hidden = !image;
  $('drop').hidden = !image;
  $('audio-controls').hidden = !audio;
  const box = $('json-input');
  box.hidden = image || ports.length === 0;
  if (!box.hidden) {
    $<HTMLTextAreaElement>('json-text').value = JSON.stringify(Object.fromEntries(ports.map((p) => [p.name, exampleValue(p)])), null, 1);
  }
  showNetwork();
}

function showNetwork(): void {
  const e = selected();
  renderNetwork($('network'), bridge.listeners, e && { id: e.manifest.id, info: { inputs: e.manifest.inputs, outputs: e.manifest.outputs } }, bridge.defaultModel);
}

$<HTMLSelectElement>('model-select').addEventListener('change', () => { stopCamera(); showInputs(); });
$<HTMLInputElement>('image-input').addEventListener('change', (ev) => {
  const file = (ev.target as HTMLInputElement).files?.[0];
  if (file) void runImage(file);
});
$<HTMLInputElement>('onnx-input').addEventListener('change', (ev) => {
  const file = (ev.target as HTMLInputElement).files?.[0];
  if (file) void catalogue.addOnnx(file);
});

// Drop an image on the drop area, or an .onnx anywhere; paste an image from the clipboard.
const drop = $('drop');
drop.addEventListener('dragover', () => drop.classList.add('over'));
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') $<HTMLInputElement>('image-input').click(); });
document.addEventListener('dragover', (ev) => ev.preventDefault());
document.addEventListener('drop', (ev) => {
  ev.preventDefault();
  drop.classList.remove('over');
  const file = ev.dataTransfer?.files[0];
  if (!file) return;
  if (/\.onnx$/i.test(file.name)) void catalogue.addOnnx(file);
  else if (file.type.startsWith('image/')) void runImage(file);
});
document.addEventListener('paste', (ev) => {
  const item = [...(ev.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
  const file = item?.getAsFile();
  if (file) { ev.preventDefault(); void runImage(file); }
});

// JSON inputs, for models without an image input.
$('json-run').addEventListener('click', () => {
  let inputs: Values;
  try {
    inputs = JSON.parse($<HTMLTextAreaElement>('json-text').value) as Values;
  } catch (err) {
    $('run-state').textContent = `the inputs are not valid JSON: ${(err as Error).message}`;
    return;
  }
  void run(inputs);
});

$('output-head').append(copyButton(() => $('output').textContent ?? '', 'Copy JSON'));

// ── camera: live input, as fast as the model allows, capped, pausable ──────────────────────────
let camera: { video: HTMLVideoElement; stream: Stream; media: MediaStream } | undefined;

async function startCamera(): Promise<void> {
  const e = selected();
  if (!e?.model) return;
  const media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  const video = el('video', { muted: true, playsinline: true });
  video.muted = true;
  video.srcObject = media;
  await video.play();
  const model = e.model;
  const stream = model.stream(video, (outputs, stats) => {
    show(e, outputs, stats.latencyMs, video);
    $('run-state').textContent = `${e.manifest.id} live: ${stats.fps} fps, ${Math.round(stats.latencyMs)} ms, ${stats.dropped} frames skipped`;
  }, { fps: Number($<HTMLSelectElement>('fps').value), onError: (err) => { $('run-state').textContent = `${e.manifest.id} failed: ${err.message}`; } });
  camera = { video, stream, media };
  $('camera').setAttribute('aria-pressed', 'true');
  $<HTMLButtonElement>('pause').disabled = false;
}

function stopCamera(): void {
  if (!camera) return;
  camera.stream.stop();
  for (const t of camera.media.getTracks()) t.stop();
  camera = undefined;
  $('camera').setAttribute('aria-pressed', 'false');
  $('pause').setAttribute('aria-pressed', 'false');
  $('pause').textContent = 'Pause';
  $<HTMLButtonElement>('pause').disabled = true;
}

$('camera').addEventListener('click', () => {
  if (camera) stopCamera();
  else startCamera().catch((err: Error) => { $('run-state').textContent = `no camera: ${err.message}`; });
});
$('pause').addEventListener('click', () => {
  if (!camera) return;
  const paused = $('pause').getAttribute('aria-pressed') !== 'true';
  if (paused) camera.stream.pause();
  else camera.stream.resume();
  $('pause').setAttribute('aria-pressed', String(paused));
  $('pause').textContent = paused ? 'Resume' : 'Pause';
});
$<HTMLSelectElement>('fps').addEventListener('change', (ev) => camera?.stream.setFps(Number((ev.target as HTMLSelectElement).value)));

// ── audio: a WAV file, or the microphone as one continuing stream ───────────────────────────────
$<HTMLInputElement>('audio-input').addEventListener('change', async (ev) => {
  const file = (ev.target as HTMLInputElement).files?.[0];
  const port = selected()?.manifest.inputs.find((p) => p.type === 'audio');
  if (file && port) await run({ [port.name]: new Uint8Array(await file.arrayBuffer()) });
});
let stopMic: (() => void) | undefined;
$('microphone').addEventListener('click', async () => {
  if (stopMic) {
    stopMic();
    stopMic = undefined;
    $('microphone').setAttribute('aria-pressed', 'false');
    return;
  }
  const e = selected();
  const port = e?.manifest.inputs.find((p) => p.type === 'audio');
  if (!e?.model || !port) return;
  const streamId = `page-microphone-${Date.now()}`;
  try {
    stopMic = await startMicrophone((samples, sampleRate) => {
      const started = performance.now();
      e.model!.query({ [port.name]: samples, sampleRate, stream: streamId })
        .then((outputs) => show(e, outputs, performance.now() - started))
        .catch((err: Error) => { $('run-state').textContent = `${e.manifest.id} failed: ${err.message}`; });
    });
    $('microphone').setAttribute('aria-pressed', 'true');
  } catch (err) {
    $('run-state').textContent = `no microphone: ${(err as Error).message}`;
  }
});

// ── memory of this page and its workers (cross-origin isolated pages can measure it) ───────────
async function showMemory(): Promise<void> {
  const measure = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }).measureUserAgentSpecificMemory;
  if (!measure || !self.crossOriginIsolated) return;
  try {
    const { bytes } = await measure.call(performance);
    $('memory').textContent = `memory ${Math.round(bytes / 2 ** 20)} MB`;
  } catch { /* not available here */ }
}
setInterval(() => void showMemory(), 15_000);
void showMemory();

showNetwork();
void catalogue.loadAll(modelsInHash(location.hash));
