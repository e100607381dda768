// Statistics of one placeholder (get_stats), computed off every main thread: the program host
// (web/programs/runner.ts) starts one of these per request and ends it after the answer or a time limit.
// Served with the program worker's Content-Security-Policy (bridge/protocols/http/page-files.ts).
import { statistics, StatsError } from './stats.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = (ev: MessageEvent<{ value: unknown }>) => {
  try {
    scope.postMessage({ stats: statistics(ev.data.value) });
  } catch (err) {
    scope.postMessage({ error: (err as Error).message, bad: err instanceof StatsError });
  }
};
