// Where every run made in the page ends: the canvas with the output drawn over its input, the output as
// JSON, and the run state line. Image and JSON runs (try-it.ts), the camera and audio come here.
import type { Values } from '../../contract/index.ts';
import { $, copyButton } from '../../ui/dom.ts';
import type { BridgeLink } from '../bridge-link.ts';
import type { Catalogue, Entry } from '../catalogue.ts';
import type { ModelSelection } from '../selection.ts';

/** An image, a bitmap or a playing video the outputs are drawn over. */
export type Source = CanvasImageSource & { width?: number; height?: number; videoWidth?: number; videoHeight?: number };

export class OutputPanel {
  private readonly canvas = $<HTMLCanvasElement>('view');
  private readonly ctx2d = this.canvas.getContext('2d')!;

  constructor(private readonly selection: ModelSelection, private readonly catalogue: Catalogue, private readonly link: BridgeLink) {
    $('output-head').append(copyButton(() => $('output').textContent ?? '', 'Copy JSON'));
  }

  /** Says how a run went, or why there was none. */
  state(text: string): void {
    $('run-state').textContent = text;
  }

  /** Shows an output (drawn over `source` when there is one) and passes it to the bridge. */
  show(e: Entry, outputs: Values, ms: number, source?: Source): void {
    if (source && e.model) {
      this.canvas.width = source.videoWidth || Number(source.width);
      this.canvas.height = source.videoHeight || Number(source.height);
      this.ctx2d.drawImage(source, 0, 0);
      e.model.draw(this.ctx2d, outputs, this.canvas.width, this.canvas.height);
      $('drop').classList.add('has-image');
    }
    $('output').textContent = JSON.stringify(outputs, bytesAsSize, 2);
    this.catalogue.ran(e, ms);
    this.link.publish(e.manifest.id, outputs);
  }

  /** Runs the selected model once on `inputs`. */
  async run(inputs: Values, source?: ImageBitmap): Promise<void> {
    const e = this.selection.entry;
    if (!e?.model) { this.state(`${e?.manifest.id ?? 'the model'} is not loaded yet`); return; }
    this.state('running…');
    try {
      const started = performance.now();
      const outputs = await e.model.query(inputs, { images: 'bytes' });
      const ms = performance.now() - started;
      this.show(e, outputs, ms, source);
      this.state(`${e.manifest.id}: ${Math.round(ms)} ms on ${e.model.backend.toUpperCase()}`);
    } catch (err) {
      this.state(`${e.manifest.id} failed: ${(err as Error).message}`);
    }
  }
}

/** Bytes (an image output) shown as their size: as JSON they would be an object of one key per byte. */
function bytesAsSize(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? `(${value.byteLength} bytes)` : value;
}
