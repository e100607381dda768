// The bridge's pages, on the Network panel: each page the bridge has (this one, headless ones it
// started, pages on other machines), what it has loaded and how busy it is.
import type { PageSummary } from '../contract/index.ts';
import { el } from './dom.ts';

export function renderPages(container: HTMLElement, pages: PageSummary[], self: string | undefined): void {
  if (pages.length === 0) {
    container.replaceChildren();
    return;
  }
  const items = pages.map((p) => {
    const ready = p.models.filter((m) => m.state === 'ready').map((m) => `${m.id}${m.backend ? ` (${m.backend})` : ''}`);
    const who = [p.id === self ? 'this page' : undefined, p.label, p.address].filter((x) => x !== undefined);
    return el('li', { 'data-page': p.id, ...(p.id === self && { 'aria-current': 'true' }) },
      el('strong', {}, p.id), who.length ? ` (${who.join(', ')})` : '',
      ': ', ready.length ? ready.join(', ') : el('span', { class: 'muted' }, 'no model ready'),
      el('span', { class: 'muted', 'data-load': '' }, ` · ${p.inFlight} in flight, ${p.queued} queued`));
  });
  container.replaceChildren(
    el('h3', {}, `Pages of this bridge: ${pages.length}`),
    el('p', { class: 'muted' }, 'Each query goes to the least busy page that has its model; one whose page leaves mid-run runs once more on another.'),
    el('ul', { class: 'pages' }, ...items),
  );
}
