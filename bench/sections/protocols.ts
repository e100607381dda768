// Section 2 (`--only protocols`): each protocol's cost for the tiny model, one client and eight.
import type { BenchRun } from '../bench-run.ts';
import { TINY, type Harness } from '../harness.ts';
import { closedLoop, ms, summarize, table, timeRuns } from '../lib.ts';
import { httpClient, labgraphClient, oscClient, runtimeClient, socketioClient, type Client } from '../../test/helpers/clients.ts';

export async function protocols(h: Harness, { quick, seconds, results, say }: BenchRun) {
  const rows: (string | number)[][] = [];
  const figures: Record<string, unknown> = {};
  const l = h.listeners;
  // TCP's JSON queries go to the default model, so every protocol queries face-detection's tiny
  // sibling here: the identity model, addressed by id where the protocol allows it.
  const make: [string, () => Promise<Client>][] = [
    ['HTTP', () => httpClient(l, 'identity')],
    ['Socket.IO', () => socketioClient(l, 'identity')],
    ['OSC', () => oscClient(l, 'identity')],
    ['LabGraph', () => labgraphClient(l, 'identity')],
    ['runtime WebSocket', () => runtimeClient(l, 'identity')],
  ];
  for (const [name, open] of make) {
    const one = await open();
    const lat = summarize(await timeRuns(quick ? 100 : 400, 30, () => one.once(TINY)));
    one.close();
    const eight = await Promise.all(Array.from({ length: 8 }, open));
    let i = 0;
    const load8 = await closedLoop(8, seconds, () => eight[i++ % 8]!.once(TINY).then(() => {}));
    for (const c of eight) c.close();
    figures[name] = { latency: lat, throughput8: load8.rps, errors: load8.errors };
    rows.push([name, ms(lat.p50), ms(lat.p99), Math.round(load8.rps), load8.errors]);
  }
  results.protocols = figures;
  say(table('2. Per-protocol cost: the tiny model, one client back to back; throughput with 8 clients (TCP: see 4)',
    ['protocol', 'p50', 'p99', 'queries/s (8 clients)', 'errors'], rows));
}
