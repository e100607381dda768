// Try it's inputs: an image picked, dropped or pasted, or JSON for models without an image input; the
// controls shown are the ones the selected model's inputs call for. An .onnx dropped anywhere is a model.
import type { Values } from '../../contract/index.ts';
import { $ } from '../../ui/dom.ts';
import { exampleValue } from '../../ui/snippets.ts';
import type { ModelSelection } from '../selection.ts';
import type { OutputPanel } from './output.ts';

export class TryItPanel {
  /** `addModel` takes an .onnx file dropped on the page. */
  constructor(private readonly selection: ModelSelection, private readonly output: OutputPanel, addModel: (file: File) => void) {
    $<HTMLInputElement>('image-input').addEventListener('change', (ev) => {
      const file = (ev.target as HTMLInputElement).files?.[0];
      if (file) void this.runImage(file);
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
      if (/\.onnx$/i.test(file.name)) addModel(file);
      else if (file.type.startsWith('image/')) void this.runImage(file);
    });
    document.addEventListener('paste', (ev) => {
      const item = [...(ev.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
      const file = item?.getAsFile();
      if (file) { ev.preventDefault(); void this.runImage(file); }
    });

    $('json-run').addEventListener('click', () => {
      let inputs: Values;
      try {
        inputs = JSON.parse($<HTMLTextAreaElement>('json-text').value) as Values;
      } catch (err) {
        output.state(`the inputs are not valid JSON: ${(err as Error).message}`);
        return;
      }
      void output.run(inputs);
    });
  }

  /** Which controls the selected model's inputs call for. */
  showInputs(): void {
    const ports = this.selection.entry?.manifest.inputs ?? [];
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
  }

  private async runImage(file: Blob): Promise<void> {
    const e = this.selection.entry;
    const port = e?.manifest.inputs.find((p) => p.type === 'image');
    if (!e || !port) { this.output.state(`${e?.manifest.id ?? 'this model'} takes no image`); return; }
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      this.output.state('that file is not an image this browser can decode');
      return;
    }
    await this.output.run({ [port.name]: new Uint8Array(await file.arrayBuffer()) }, bitmap);
  }
}
