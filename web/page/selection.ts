// The model picked in Try it's #model-select: the one that image, camera, audio and JSON runs use, and
// whose addresses the Network panel shows.
import { $ } from '../ui/dom.ts';
import type { Catalogue, Entry } from './catalogue.ts';

export class ModelSelection {
  private readonly select = $<HTMLSelectElement>('model-select');

  constructor(private readonly catalogue: Catalogue) {}

  get entry(): Entry | undefined {
    return this.catalogue.get(this.select.value);
  }

  choose(id: string): void {
    this.select.value = id;
  }

  onChange(listener: () => void): void {
    this.select.addEventListener('change', listener);
  }

  /** Gives the select one option per entry, keeping the choice; true when the options changed. */
  syncOptions(): boolean {
    const ids = this.catalogue.ids();
    if ([...this.select.options].map((o) => o.value).join() === ids.join()) return false;
    const current = this.select.value;
    this.select.replaceChildren(...this.catalogue.list().map((e) => new Option(e.manifest.title ?? e.manifest.id, e.manifest.id)));
    if (current) this.select.value = current;
    return true;
  }
}
