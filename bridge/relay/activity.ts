// The pages' activity view: who ran what, failures and refusals, client counts, dropped frames and the bridge's pages, batched so that a
// busy bridge sends a few frames a second.
import type { ActivityEntry, BridgeMessage } from '../../web/contract/index.ts';
import type { BridgeCore, FailureEvent, OutputEvent } from '../core/core.ts';

/** Sends `core`'s activity to every page through `broadcast`, every 250 ms when there is some; returns what stops it. */
export function feedActivity(core: BridgeCore, broadcast: (message: BridgeMessage) => void): () => void {
  let activity: ActivityEntry[] = [];
  let countsChanged = false;
  const flush = setInterval(() => {
    if (activity.length === 0 && !countsChanged) return;
    const msg: BridgeMessage = {
      type: 'activity', entries: activity.slice(-50), clients: core.clientCounts(), dropped: core.droppedFrames(), pages: core.pageSummaries(),
    };
    activity = [];
    countsChanged = false;
    broadcast(msg);
  }, 250);
  flush.unref();
  const onOutput = (e: OutputEvent) => { if (e.source !== 'page') activity.push({ at: Date.now(), source: e.source, model: e.model, ms: e.ms }); };
  const onFailure = (e: FailureEvent) => { activity.push({ at: Date.now(), source: e.source, model: e.model, ms: e.ms, error: e.error.message }); };
  // Clients and pages come and go, live frames are dropped (latest wins): counts, not log entries.
  const onClients = () => { countsChanged = true; };
  core.on('output', onOutput);
  core.on('failure', onFailure);
  core.on('refused', onFailure);
  core.on('clients', onClients);
  core.on('dropped', onClients);
  core.on('models', onClients);
  return () => {
    clearInterval(flush);
    core.off('output', onOutput);
    core.off('failure', onFailure);
    core.off('refused', onFailure);
    core.off('clients', onClients);
    core.off('dropped', onClients);
    core.off('models', onClients);
  };
}
