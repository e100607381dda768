// The header's memory readout: this page and its workers, where the browser can measure it (a cross-origin
// isolated page, see vite.config.ts).
import { $ } from '../../ui/dom.ts';

async function showMemory(): Promise<void> {
  const measure = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }).measureUserAgentSpecificMemory;
  if (!measure || !self.crossOriginIsolated) return;
  try {
    const { bytes } = await measure.call(performance);
    $('memory').textContent = `memory ${Math.round(bytes / 2 ** 20)} MB`;
  } catch { /* not available here */ }
}

/** Shows the page's memory now and every 15 s. */
export function startMemoryReadout(): void {
  setInterval(() => void showMemory(), 15_000);
  void showMemory();
}
