// The Network panel: for each protocol, where the bridge listens, its endpoints, the selected model's
// schema, and client code to paste. The addresses are the bridge's own (its hello), never defaults.
import type { ModelInfo } from '../contract/index.ts';
import { protocolPanels, type Listeners } from './snippets.ts';
import { copyButton, el } from './dom.ts';

let selectedTab = 'http';

export function renderNetwork(container: HTMLElement, listeners: Listeners | undefined, model: { id: string; info: ModelInfo } | undefined,
  defaultModel: string | undefined): void {
  if (!listeners?.http) {
    container.replaceChildren(
      el('p', {}, 'This page is not connected to a bridge, so no tool can reach its models yet.'),
      el('p', {}, 'Start one in the pagebridge folder with ', el('code', {}, 'npm start'), ' and open the page link it prints (it carries the pairing token). The bridge then serves every model loaded here over HTTP, Socket.IO, OSC, LabGraph, TCP and a runtime WebSocket.'),
    );
    return;
  }
  if (!model) {
    container.replaceChildren(el('p', { class: 'muted' }, 'Load a model to see how to reach it.'));
    return;
  }
  const panels = protocolPanels(listeners, model.id, model.info, model.id === defaultModel);
  if (!panels.some((p) => p.id === selectedTab)) selectedTab = panels[0]!.id;
  const tabs = el('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Protocols' });
  for (const p of panels) {
    const tab = el('button', { type: 'button', role: 'tab', id: `tab-${p.id}`, 'aria-selected': String(p.id === selectedTab),
      'aria-controls': 'protocol-panel', tabindex: p.id === selectedTab ? '0' : '-1' }, p.name);
    tab.addEventListener('click', () => { selectedTab = p.id; renderNetwork(container, listeners, model, defaultModel); document.getElementById(`tab-${p.id}`)?.focus(); });
    tab.addEventListener('keydown', (ev) => {
      const i = panels.indexOf(p);
      const next = ev.key === 'ArrowRight' ? panels[(i + 1) % panels.length] : ev.key === 'ArrowLeft' ? panels[(i - 1 + panels.length) % panels.length] : undefined;
      if (next) { selectedTab = next.id; renderNetwork(container, listeners, model, defaultModel); document.getElementById(`tab-${next.id}`)?.focus(); }
    });
    tabs.append(tab);
  }
  const p = panels.find((x) => x.id === selectedTab)!;
  const schema = (ports: ModelInfo['inputs']) => el('ul', { class: 'schema' }, ...ports.map((port) =>
    el('li', {}, el('code', {}, port.name), `: ${port.type}`, port.description ? ` — ${port.description}` : '')));
  const panel = el('div', { role: 'tabpanel', id: 'protocol-panel', 'aria-labelledby': `tab-${p.id}`, 'data-protocol': p.id },
    el('p', {}, 'Address: ', el('span', { class: 'address' }, p.address ?? '')),
    el('ul', { class: 'endpoints' }, ...p.endpoints.map((e) => el('li', {}, el('code', {}, e)))),
    el('h3', {}, `${model.id} takes`), schema(model.info.inputs),
    el('h3', {}, 'and gives'), schema(model.info.outputs),
    ...p.snippets.map((s) => {
      const code = el('pre', { 'data-snippet': s.label }, el('code', {}, s.code));
      return el('div', { class: 'snippet' }, el('div', { class: 'snippet-head' }, el('h3', {}, s.label), copyButton(() => s.code)), code);
    }),
  );
  container.replaceChildren(tabs, panel);
}
