// The Activity panel: clients connected per protocol, and a live log of recent requests.
import type { ActivityEntry } from '../contract/index.ts';
import { el } from './dom.ts';

const MAX_ROWS = 100;

/** Clients per protocol, and per model the live frames dropped for newer ones (latest wins). */
export function renderClients(container: HTMLElement, clients: Record<string, number>, dropped: Record<string, number>): void {
  const names = Object.keys(clients).sort();
  container.replaceChildren(...(names.length
    ? names.map((n) => el('span', { 'data-protocol': n }, `${n}: ${clients[n]}`))
    : [el('span', { class: 'muted' }, 'no clients connected')]),
  ...Object.keys(dropped).sort().map((m) => el('span', {
    'data-dropped': m, title: 'live frames answered late would only add latency: a newer frame from the same client replaced them',
  }, `${m}: ${dropped[m]} stale frame${dropped[m] === 1 ? '' : 's'} dropped`)));
}

export function appendActivity(list: HTMLElement, entries: ActivityEntry[]): void {
  for (const e of entries) {
    const time = new Date(e.at).toLocaleTimeString([], { hour12: false });
    list.prepend(el('li', { class: e.error ? 'bad' : undefined, title: e.error },
      el('span', {}, time), el('span', { class: 'src' }, e.source), el('span', {}, e.model),
      el('span', {}, e.ms !== undefined ? `${Math.round(e.ms)} ms` : ''), el('span', {}, e.error ? `error: ${e.error}` : 'ok')));
  }
  while (list.children.length > MAX_ROWS) list.lastElementChild!.remove();
}
