// The page's models: the catalogue's entries (public/models/index.json) and the .onnx files dropped
// on the page, their loading and unloading in the runtime worker, and what the bridge is told of them.
import { fetchManifest, loadModel, loadOnnx, type Model } from '../runtime/index.ts';
import type { ActivityEntry, ModelAnnouncement, ModelManifest, Values } from '../contract/index.ts';

export interface Entry {
  manifest: ModelManifest;
  model?: Model;
  state: ModelAnnouncement['state'];
  error?: string;
  progress?: number;
  stage?: string;
  lastMs?: number;
}

/** What the catalogue tells the page about its entries, as they change. */
export interface CatalogueObserver {
  /** Entries were added or removed, or one changed state: draw them again now. */
  changed(): void;
  /** A download's progress or a run's time changed: draw them again soon (this happens often). */
  progressed(): void;
  /** A load ended, ready or failed. */
  settled(): void;
  /** A dropped .onnx is in the list, ready or failed. */
  added(entry: Entry): void;
  /** Tell the bridge what `announcements()` says now. */
  announce(): void;
}

/** `#models=a,b` in the page's address: load only those (a page for one sketch need not compile every model). */
export function modelsInHash(hash: string): string[] | undefined {
  return new URLSearchParams(hash.slice(1)).get('models')?.split(',').filter(Boolean);
}

export class Catalogue {
  private readonly entries = new Map<string, Entry>();
  /** The ids from the catalogue itself; any other entry is a dropped file. */
  private readonly catalogueIds = new Set<string>();

  constructor(private readonly baseUrl: string, private readonly observer: CatalogueObserver) {}

  get(id: string): Entry | undefined {
    return this.entries.get(id);
  }

  list(): Entry[] {
    return [...this.entries.values()];
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** A dropped model: there are no files to load it from again once it is unloaded. */
  isDropped(e: Entry): boolean {
    return !this.catalogueIds.has(e.manifest.id);
  }

  /** Fetches the catalogue's manifests and loads their models, `only` those when given. */
  async loadAll(only?: string[]): Promise<void> {
    const catalogue = ((await (await fetch(new URL('models/index.json', this.baseUrl))).json()) as { models: string[] }).models;
    const manifests = await Promise.all((only ? catalogue.filter((id) => only.includes(id)) : catalogue).map((id) => fetchManifest(id, this.baseUrl)));
    for (const m of manifests) {
      this.catalogueIds.add(m.id);
      this.entries.set(m.id, { manifest: m, state: 'loading', progress: 0 });
    }
    this.observer.changed();
    this.observer.announce();
    // One at a time: the worker compiles one session at once anyway, and the first is ready sooner.
    for (const m of manifests) await this.load(this.entries.get(m.id)!);
  }

  /** Loads (or loads again) a catalogue model into the runtime worker. */
  async load(e: Entry): Promise<void> {
    e.state = 'loading';
    e.error = undefined;
    e.progress = 0;
    e.stage = undefined;
    this.observer.changed();
    this.observer.announce();
    try {
      e.model = await loadModel(e.manifest.id, {
        baseUrl: this.baseUrl,
        onProgress: (p) => {
          e.stage = p.stage;
          if (p.total) e.progress = (p.loaded ?? 0) / p.total;
          this.observer.progressed();
        },
      });
      e.state = 'ready';
    } catch (err) {
      e.state = 'failed';
      e.error = (err as Error).message;
    }
    this.observer.changed();
    this.observer.settled();
    this.observer.announce();
  }

  /** Frees a model's sessions; a dropped model is removed. */
  async unload(e: Entry): Promise<void> {
    const model = e.model;
    e.model = undefined;
    e.lastMs = undefined;
    if (this.isDropped(e)) this.entries.delete(e.manifest.id);
    else e.state = 'unloaded';
    this.observer.changed();
    this.observer.announce();
    await model?.dispose();
  }

  /** A dropped .onnx: loaded with the generic tensor adapter and announced like the bundled models. */
  async addOnnx(file: File): Promise<void> {
    const base = file.name.replace(/\.onnx$/i, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
    let id = base;
    for (let n = 2; this.entries.has(id); n++) id = `${base}-${n}`;
    const e: Entry = { manifest: { id, title: file.name, file: file.name, adapter: 'tensor', inputs: [], outputs: [] }, state: 'loading', stage: 'compile' };
    this.entries.set(id, e);
    this.observer.changed();
    try {
      const model = await loadOnnx(new Uint8Array(await file.arrayBuffer()), { id, title: file.name, baseUrl: this.baseUrl });
      e.model = model;
      e.manifest = model.manifest;
      e.state = 'ready';
    } catch (err) {
      e.state = 'failed';
      e.error = `not a model onnxruntime can load: ${(err as Error).message}`;
    }
    this.observer.changed();
    this.observer.added(e);
    this.observer.announce();
  }

  /** A query from a program. */
  async query(id: string, inputs: Values): Promise<Values> {
    const e = this.entries.get(id);
    if (!e?.model) throw new Error(`model "${id}" is not loaded in this page`);
    const started = performance.now();
    const outputs = await e.model.query(inputs, { images: 'bytes' });
    this.ran(e, performance.now() - started);
    return outputs;
  }

  /** A run made in the page took `ms`. */
  ran(e: Entry, ms: number): void {
    e.lastMs = ms;
    this.observer.progressed();
  }

  /** The bridge's timings (arrival to answer) stand for the models' last runs. */
  bridgeRan(list: ActivityEntry[]): void {
    for (const a of list) {
      const e = a.model === undefined || a.error ? undefined : this.entries.get(a.model);
      if (e && a.ms !== undefined) e.lastMs = a.ms;
    }
    if (list.length) this.observer.progressed();
  }

  /** What the bridge is told this page has. */
  announcements(): ModelAnnouncement[] {
    return this.list().map((e) => ({
      id: e.manifest.id, title: e.manifest.title ?? e.manifest.id, description: e.manifest.description,
      license: e.manifest.license, info: { inputs: e.manifest.inputs, outputs: e.manifest.outputs },
      state: e.state, error: e.error, backend: e.model?.backend, fallbackReason: e.model?.fallbackReason, size: e.model?.size,
    }));
  }
}
