// The Network panel for the selected model: how tools reach it through the bridge (see web/ui/network.ts).
import { $ } from '../../ui/dom.ts';
import { renderNetwork } from '../../ui/network.ts';
import { renderPages } from '../../ui/pages.ts';
import type { PageSummary } from '../../contract/index.ts';
import type { BridgeInfo } from '../bridge-link.ts';
import type { ModelSelection } from '../selection.ts';

export class NetworkPanel {
  private bridge: BridgeInfo = {};

  constructor(private readonly selection: ModelSelection) {}

  /** The bridge's hello changed, or the link's state did. */
  showBridge(bridge: BridgeInfo): void {
    this.bridge = bridge;
    this.render();
  }

  /** The bridge's pages changed (one came, left, announced, or its load changed). */
  showPages(pages: PageSummary[], self: string | undefined): void {
    renderPages($('bridge-pages'), pages, self);
  }

  render(): void {
    const e = this.selection.entry;
    renderNetwork($('network'), this.bridge.listeners, e && { id: e.manifest.id, info: { inputs: e.manifest.inputs, outputs: e.manifest.outputs } }, this.bridge.defaultModel);
  }
}
