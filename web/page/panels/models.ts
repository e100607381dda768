// The Models panel: each entry with its state, backend, size and timings, its Load / Unload / Remove
// button, and the input that adds an .onnx file.
import { $, el } from '../../ui/dom.ts';
import type { Catalogue, Entry } from '../catalogue.ts';
import type { ModelSelection } from '../selection.ts';

export class ModelsPanel {
  private readonly list = $('models');
  private renderTimer: ReturnType<typeof setTimeout> | undefined;

  /** `optionsChanged` runs when the entries in #model-select changed with this render. */
  constructor(private readonly catalogue: Catalogue, private readonly selection: ModelSelection, private readonly optionsChanged: () => void) {
    this.list.addEventListener('click', (ev) => {
      const button = (ev.target as HTMLElement).closest('button[data-action]');
      const e = catalogue.get(button?.getAttribute('data-id') ?? '');
      if (!button || !e) return;
      if (button.getAttribute('data-action') === 'unload') void catalogue.unload(e);
      else void catalogue.load(e);
    });
    $<HTMLInputElement>('onnx-input').addEventListener('change', (ev) => {
      const file = (ev.target as HTMLInputElement).files?.[0];
      if (file) void catalogue.addOnnx(file);
    });
  }

  /** Re-renders at most a few times a second: a busy model answers hundreds of queries a second, and
   *  rebuilding the list for each would cost the page more than the model does. */
  renderSoon(): void {
    this.renderTimer ??= setTimeout(() => { this.renderTimer = undefined; this.render(); }, 250);
  }

  render(): void {
    this.list.replaceChildren(...this.catalogue.list().map((e) => this.item(e)));
    if (this.selection.syncOptions()) this.optionsChanged();
  }

  private item(e: Entry): HTMLLIElement {
    const bits = [e.manifest.id];
    if (e.state === 'loading') bits.push(e.stage === 'compile' ? 'compiling…' : e.stage === 'warm-up' ? 'warming up…' : `downloading ${Math.round((e.progress ?? 0) * 100)}%`);
    if (e.model) {
      bits.push(e.model.backend.toUpperCase(), `${(e.model.size / 1e6).toFixed(1)} MB`, `loaded in ${Math.round(e.model.loadMs)} ms`);
      if (e.lastMs !== undefined) bits.push(`last run ${Math.round(e.lastMs)} ms`);
    }
    const bar = e.state === 'loading' ? el('progress', { 'aria-label': `Loading ${e.manifest.id}` }) : undefined;
    if (bar && e.stage === 'download' && e.progress !== undefined) bar.value = e.progress;
    return el('li', { 'data-model': e.manifest.id, 'data-state': e.state },
      el('div', { class: 'title' }, e.manifest.title ?? e.manifest.id),
      el('div', { class: 'meta' }, bits.join(' · ')),
      e.manifest.description ? el('div', { class: 'meta' }, e.manifest.description) : undefined,
      bar,
      e.model?.fallbackReason && e.model.backend === 'wasm' ? el('div', { class: 'meta' }, `WASM because ${e.model.fallbackReason}`) : undefined,
      e.manifest.license ? el('div', { class: 'meta' }, `License: ${e.manifest.license}`) : undefined,
      e.error ? el('div', { class: 'error' }, e.error) : undefined,
      e.state === 'ready' ? el('button', { type: 'button', class: 'small', 'data-action': 'unload', 'data-id': e.manifest.id },
        e.manifest.adapter === 'tensor' && this.catalogue.isDropped(e) ? 'Remove' : 'Unload')
        : e.state === 'unloaded' || e.state === 'failed' ? el('button', { type: 'button', class: 'small', 'data-action': 'load', 'data-id': e.manifest.id }, 'Load')
          : undefined);
  }
}
