// The camera: live input for the selected model, as fast as the model allows, capped, pausable.
import type { Stream } from '../../runtime/index.ts';
import { $, el } from '../../ui/dom.ts';
import type { ModelSelection } from '../selection.ts';
import type { OutputPanel } from './output.ts';

export class CameraPanel {
  private camera: { video: HTMLVideoElement; stream: Stream; media: MediaStream } | undefined;

  constructor(private readonly selection: ModelSelection, private readonly output: OutputPanel) {
    $('camera').addEventListener('click', () => {
      if (this.camera) this.stop();
      else this.start().catch((err: Error) => { output.state(`no camera: ${err.message}`); });
    });
    $('pause').addEventListener('click', () => {
      if (!this.camera) return;
      const paused = $('pause').getAttribute('aria-pressed') !== 'true';
      if (paused) this.camera.stream.pause();
      else this.camera.stream.resume();
      $('pause').setAttribute('aria-pressed', String(paused));
      $('pause').textContent = paused ? 'Resume' : 'Pause';
    });
    $<HTMLSelectElement>('fps').addEventListener('change', (ev) => this.camera?.stream.setFps(Number((ev.target as HTMLSelectElement).value)));
  }

  private async start(): Promise<void> {
    const e = this.selection.entry;
    if (!e?.model) return;
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    const video = el('video', { muted: true, playsinline: true });
    video.muted = true;
    video.srcObject = media;
    await video.play();
    const model = e.model;
    const stream = model.stream(video, (outputs, stats) => {
      this.output.show(e, outputs, stats.latencyMs, video);
      this.output.state(`${e.manifest.id} live: ${stats.fps} fps, ${Math.round(stats.latencyMs)} ms, ${stats.dropped} frames skipped`);
    }, { fps: Number($<HTMLSelectElement>('fps').value), images: 'bytes', onError: (err) => { this.output.state(`${e.manifest.id} failed: ${err.message}`); } });
    this.camera = { video, stream, media };
    $('camera').setAttribute('aria-pressed', 'true');
    $<HTMLButtonElement>('pause').disabled = false;
  }

  /** Stops the camera, if it runs (another model was selected, or the button was pressed again). */
  stop(): void {
    if (!this.camera) return;
    this.camera.stream.stop();
    for (const t of this.camera.media.getTracks()) t.stop();
    this.camera = undefined;
    $('camera').setAttribute('aria-pressed', 'false');
    $('pause').setAttribute('aria-pressed', 'false');
    $('pause').textContent = 'Pause';
    $<HTMLButtonElement>('pause').disabled = true;
  }
}
