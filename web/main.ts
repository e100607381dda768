// The page: loads the catalogue's models into the runtime, lets a person try them (image, camera,
// audio, JSON), and serves them to the bridge over the relay when opened from the bridge's link.
import { Catalogue, modelsInHash } from './page/catalogue.ts';
import { ModelSelection } from './page/selection.ts';
import { BridgeLink } from './page/bridge-link.ts';
import { NetworkPanel } from './page/panels/network.ts';
import { OutputPanel } from './page/panels/output.ts';
import { ModelsPanel } from './page/panels/models.ts';
import { TryItPanel } from './page/panels/try-it.ts';
import type { Stream } from './runtime/index.ts';
import { $, el } from './ui/dom.ts';
import { startMicrophone } from './ui/microphone.ts';

const baseUrl = new URL('./', location.href).href;

// The observer names parts made below: the catalogue calls it only after this module has run
// (loadAll() at the end, the relay's messages, clicks).
const catalogue = new Catalogue(baseUrl, {
  changed: () => models.render(),
  progressed: () => models.renderSoon(),
  settled: () => network.render(),
  added: (e) => {
    if (e.state === 'ready') selection.choose(e.manifest.id);
    showSelected();
  },
  announce: () => link.announce(),
});
const selection = new ModelSelection(catalogue);
const network = new NetworkPanel(selection);
const link = new BridgeLink(catalogue, baseUrl, (bridge) => network.showBridge(bridge));
const output = new OutputPanel(selection, catalogue, link);
const models = new ModelsPanel(catalogue, selection, () => showSelected());
const tryIt = new TryItPanel(selection, output, (file) => void catalogue.addOnnx(file));

/** What the selected model calls for: its input controls, and its addresses on the Network panel. */
function showSelected(): void {
  tryIt.showInputs();
  network.render();
}
selection.onChange(() => { stopCamera(); showSelected(); });

// ── camera: live input, as fast as the model allows, capped, pausable ──────────────────────────
let camera: { video: HTMLVideoElement; stream: Stream; media: MediaStream } | undefined;

async function startCamera(): Promise<void> {
  const e = selection.entry;
  if (!e?.model) return;
  const media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  const video = el('video', { muted: true, playsinline: true });
  video.muted = true;
  video.srcObject = media;
  await video.play();
  const model = e.model;
  const stream = model.stream(video, (outputs, stats) => {
    output.show(e, outputs, stats.latencyMs, video);
    output.state(`${e.manifest.id} live: ${stats.fps} fps, ${Math.round(stats.latencyMs)} ms, ${stats.dropped} frames skipped`);
  }, { fps: Number($<HTMLSelectElement>('fps').value), onError: (err) => { output.state(`${e.manifest.id} failed: ${err.message}`); } });
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
  else startCamera().catch((err: Error) => { output.state(`no camera: ${err.message}`); });
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
  const port = selection.entry?.manifest.inputs.find((p) => p.type === 'audio');
  if (file && port) await output.run({ [port.name]: new Uint8Array(await file.arrayBuffer()) });
});
let stopMic: (() => void) | undefined;
$('microphone').addEventListener('click', async () => {
  if (stopMic) {
    stopMic();
    stopMic = undefined;
    $('microphone').setAttribute('aria-pressed', 'false');
    return;
  }
  const e = selection.entry;
  const port = e?.manifest.inputs.find((p) => p.type === 'audio');
  if (!e?.model || !port) return;
  const streamId = `page-microphone-${Date.now()}`;
  try {
    stopMic = await startMicrophone((samples, sampleRate) => {
      const started = performance.now();
      e.model!.query({ [port.name]: samples, sampleRate, stream: streamId })
        .then((outputs) => output.show(e, outputs, performance.now() - started))
        .catch((err: Error) => { output.state(`${e.manifest.id} failed: ${err.message}`); });
    });
    $('microphone').setAttribute('aria-pressed', 'true');
  } catch (err) {
    output.state(`no microphone: ${(err as Error).message}`);
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

network.render();
void catalogue.loadAll(modelsInHash(location.hash));
