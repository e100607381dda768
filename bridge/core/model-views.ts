// Every model the bridge knows, as one view per id: the catalogue's (known before any page connects)
// merged with what each page announced. Cached until pages or their models change: every query looks
// its model up here, and checks its inputs with the checker compiled for that model's info.
import type { MediaLimits, ModelInfo, ModelManifest } from '../../web/contract/index.ts';
import { BridgeError } from './errors.ts';
import type { PageLink } from './pages.ts';
import { compileInputChecker, type InputChecker } from './validate.ts';

export interface ModelView {
  id: string;
  title: string;
  description?: string;
  license?: string;
  info: ModelInfo;
  backend?: string;
  fallbackReason?: string;
  /** `ready` when some page can run it; otherwise the best state any page reports, or `not loaded`. */
  state: string;
  error?: string;
  pages: number;
  size?: number;
}

const RANK: Record<string, number> = { ready: 4, loading: 3, failed: 2, unloaded: 1 };

export class ModelViews {
  private readonly catalogue = new Map<string, { manifest: ModelManifest; info: ModelInfo }>();
  private readonly checkers = new Map<string, { info: ModelInfo; check: InputChecker }>();
  private views: Map<string, ModelView> | undefined;

  constructor(catalogue: ModelManifest[], private readonly pages: () => Iterable<PageLink>, private readonly limits: MediaLimits,
    private readonly configuredDefault?: string) {
    for (const m of catalogue) this.catalogue.set(m.id, { manifest: m, info: { inputs: m.inputs, outputs: m.outputs } });
  }

  /** Pages or their models changed: views are merged afresh on next use. */
  invalidate(): void {
    this.views = undefined;
  }

  all(): ModelView[] {
    return [...this.byId().values()];
  }

  /** The id the single-model addresses serve: --model, else the first model known. */
  get defaultModel(): string | undefined {
    return this.configuredDefault ?? this.byId().keys().next().value;
  }

  /** A model by id (or the default model), or a `not_found` error naming the ones there are. */
  get(id?: string): ModelView {
    const want = id ?? this.defaultModel;
    const found = want === undefined ? undefined : this.byId().get(want);
    if (found) return found;
    if (want === undefined) throw new BridgeError('not_found', 'no model is loaded yet, and no --model was given');
    const known = [...this.byId().keys()].join(', ') || 'none yet';
    throw new BridgeError('not_found', `no model "${want}" (models: ${known})`);
  }

  /** The input checker for the model's current info. */
  checker(view: ModelView): InputChecker {
    const cached = this.checkers.get(view.id);
    if (cached && cached.info === view.info) return cached.check;
    const check = compileInputChecker(view.info, this.limits);
    this.checkers.set(view.id, { info: view.info, check });
    return check;
  }

  private byId(): Map<string, ModelView> {
    this.views ??= this.merge();
    return this.views;
  }

  private merge(): Map<string, ModelView> {
    const views = new Map<string, ModelView>();
    for (const { manifest: m, info } of this.catalogue.values()) {
      views.set(m.id, { id: m.id, title: m.title ?? m.id, description: m.description, license: m.license, info, state: 'not loaded', pages: 0 });
    }
    for (const page of this.pages()) {
      for (const a of page.models.values()) {
        const v = views.get(a.id);
        const mine: ModelView = {
          id: a.id, title: a.title, description: a.description, license: a.license, info: a.info,
          backend: a.backend, fallbackReason: a.fallbackReason, state: a.state, error: a.error,
          pages: a.state === 'ready' ? 1 : 0, size: a.size,
        };
        if (!v) views.set(a.id, mine);
        else {
          const pages = v.pages + mine.pages;
          if ((RANK[a.state] ?? 0) > (RANK[v.state] ?? 0)) views.set(a.id, { ...v, ...mine, pages });
          else v.pages = pages;
        }
      }
    }
    return views;
  }
}
