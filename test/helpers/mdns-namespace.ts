// Runs inside a network namespace of its own (test/oscquery.test.ts makes it: `lo`, and where it can, a
// veth pair standing in for a LAN, its two addresses in PAGEBRIDGE_TEST_LAN), so that the mDNS multicast of the bridge
// and of the DNS-SD client reaches no other machine. For each scenario it starts the bridge with a fake
// page and mDNS on, browses with test/helpers/dns-sd-browse.py (python-zeroconf), closes the bridge, and
// prints one JSON line: the listeners, what the client found and saw withdrawn, and on which interfaces
// the bridge's responses arrived.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startFakeBridge } from './fake-page.ts';
import { sleep, until } from './wait.ts';

const BROWSE = fileURLToPath(new URL('./dns-sd-browse.py', import.meta.url));

interface Event { event: string; type?: string; name?: string; port?: number; addresses?: string[]; byInterface?: Record<string, number> }

export interface ScenarioResult {
  host: string;
  listeners: Record<string, string>;
  found: Event[];
  removed: Event[];
  responses: Record<string, number>;
  logs: string[];
}

/** The bridge on `host`, browsed on interface address `browseOn`; responses counted on `sniffed`. */
async function scenario(host: string, browseOn: string, sniffed: string[]): Promise<ScenarioResult> {
  const client = spawn('/usr/bin/python3', [BROWSE, browseOn, ...sniffed], { stdio: ['pipe', 'pipe', 'inherit'] });
  const events: Event[] = [];
  createInterface({ input: client.stdout! }).on('line', (line) => events.push(JSON.parse(line) as Event));
  const exited = new Promise((resolve) => client.on('exit', resolve));
  const of = (kind: string) => events.filter((e) => e.event === kind);
  await until(() => of('ready').length > 0, 10_000, 'the DNS-SD client to start');
  const f = await startFakeBridge({ host, mdns: true });
  try {
    await until(() => of('found').length >= 2, 15_000, `both services found (${JSON.stringify(events)})`);
    // Time for the announcements' repeats to be counted.
    await sleep(1500);
  } finally {
    await f.close();
  }
  await until(() => of('removed').length >= 2, 10_000, `both services withdrawn (${JSON.stringify(events)})`).catch(() => {});
  client.stdin!.end();
  await exited;
  return {
    host, listeners: f.listeners, found: of('found'), removed: of('removed'),
    responses: of('responses')[0]?.byInterface ?? {}, logs: [...f.log.infos, ...f.log.warnings].filter((l) => l.startsWith('mdns')),
  };
}

const results: ScenarioResult[] = [];
// The default: the bridge on loopback, advertised there alone.
// The bridge's end of the LAN stand-in and the other end, where the namespace has one.
const [lanBridge, lanOther] = process.env.PAGEBRIDGE_TEST_LAN?.split(',') ?? [];
const sniffed = ['127.0.0.1', ...(lanBridge && lanOther ? [lanBridge, lanOther] : [])];
results.push(await scenario('127.0.0.1', '127.0.0.1', sniffed));
// A wider --host: advertised on that interface, not on loopback.
if (lanBridge && lanOther) results.push(await scenario(lanBridge, lanOther, sniffed));
console.log(JSON.stringify(results));
// The browser's and the bridge's sockets are closed; nothing else should hold the process.
process.exit(0);
