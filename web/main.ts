// The page: loads the catalogue's models into the runtime, lets a person try them (image, camera,
// audio, JSON), and serves them to the bridge over the relay when opened from the bridge's link.
// This file only wires the parts in web/page/ together.
import { Catalogue, modelsInHash } from './page/catalogue.ts';
import { ModelSelection } from './page/selection.ts';
import { BridgeLink } from './page/bridge-link.ts';
import { NetworkPanel } from './page/panels/network.ts';
import { OutputPanel } from './page/panels/output.ts';
import { ModelsPanel } from './page/panels/models.ts';
import { TryItPanel } from './page/panels/try-it.ts';
import { CameraPanel } from './page/panels/camera.ts';
import { AudioPanel } from './page/panels/audio.ts';
import { startMemoryReadout } from './page/panels/memory.ts';

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
const link = new BridgeLink(catalogue, baseUrl, (bridge) => network.showBridge(bridge), (pages, self) => network.showPages(pages, self));
const output = new OutputPanel(selection, catalogue, link);
const models = new ModelsPanel(catalogue, selection, () => showSelected());
const tryIt = new TryItPanel(selection, output, (file) => void catalogue.addOnnx(file));
const camera = new CameraPanel(selection, output);
new AudioPanel(selection, output);

/** What the selected model calls for: its input controls, and its addresses on the Network panel. */
function showSelected(): void {
  tryIt.showInputs();
  network.render();
}
selection.onChange(() => { camera.stop(); showSelected(); });

startMemoryReadout();
network.render();
void catalogue.loadAll(modelsInHash(location.hash));
