// A client that goes away gives up its queries on every protocol with connections: the bridge tells the
// page (a `cancel` relay message), which drops the work or its result (test/limits.test.ts shows a real
// page dropping HTTP clients' queries before they run). Against the fake page, which holds a query until
// the test releases it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeBridge, type FakeBridge } from './helpers/fake-page.ts';
import { labgraphClient, runtimeClient, socketioClient, tcpClient, type Client, type Listeners } from './helpers/clients.ts';
import { until } from './helpers/wait.ts';

const CLIENTS: Record<string, (l: Listeners) => Promise<Client>> = {
  'Socket.IO': (l) => socketioClient(l, 'echo'),
  TCP: (l) => tcpClient(l),
  'runtime WebSocket (run_model)': (l) => runtimeClient(l, 'echo'),
  LabGraph: (l) => labgraphClient(l, 'echo'),
};

/** `y` of an answer as each client gives it: an object, JSON bytes (TCP), or a LabGraph sample. */
function yOf(answer: unknown): unknown {
  const value = Buffer.isBuffer(answer) ? JSON.parse(answer.toString('utf8')) : answer;
  return (value as { data?: { y?: unknown }; y?: unknown }).data?.y ?? (value as { y?: unknown }).y;
}

describe('a client that goes away gives up its queries, on every protocol', () => {
  let f: FakeBridge;
  before(async () => { f = await startFakeBridge(); });
  after(async () => { await f?.close(); });

  for (const [protocol, open] of Object.entries(CLIENTS)) {
    it(`${protocol}: the query it left with the page is cancelled there; the next client is answered`, async () => {
      const before = f.bridge.core.cancellations().sent;
      const client = await open(f.listeners);
      // Its answer never comes: the client is gone before the page gives it.
      client.once({ x: 1, act: 'hold' }).catch(() => {});
      await until(() => f.page.held.length === 1, 5000, 'the query with the page');
      client.close();
      await until(() => f.bridge.core.cancellations().sent === before + 1, 5000, 'the cancel sent to the page');
      assert.equal(f.bridge.core.inFlight, 0, 'nothing waits for the page any more');
      // The page answers anyway (it had started): nobody is told, nothing breaks.
      f.page.release();
      const next = await open(f.listeners);
      try {
        assert.equal(yOf(await next.once({ x: 7 })), 7);
      } finally {
        next.close();
      }
    });
  }
});
