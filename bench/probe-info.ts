import { startHostedBridge } from './harness.ts';
import { loadBenchPackage } from './bench-packages.ts';
import { cpuPerRequest } from './cpu.ts';
import { startChild } from './child-process.ts';
const h = await startHostedBridge([]);
const infoUrl = `${h.url}/models/identity/info`;
const info = await (await fetch(infoUrl)).text();
const script = `const info = ${JSON.stringify(info)};
  require('node:http').createServer((req, res) => { req.on('data', () => {}); req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(info) }); res.end(info); }); })
  .listen(0, '127.0.0.1', function () { console.log('listening ' + this.address().port); });`;
const { child, match } = await startChild(['-e', script], /listening (\d+)/);
const { default: run } = await loadBenchPackage('autocannon');
const roots = new Map([[h.bridge.pid!, 'bridge'], [child.pid!, 'bare'], [process.pid, 'client']]);
const go = async (url: string) => { let rps = 0; const c = await cpuPerRequest(roots, async () => { const r = await run({ url, connections: 64, duration: 3 }); rps = r.requests.average; return r.requests.total; }); return { rps, cpu: c.usPerRequest }; };
await go(infoUrl);
for (let i = 0; i < 3; i++) {
  const b = await go(infoUrl), r = await go(`http://127.0.0.1:${match[1]}/info`);
  console.log(`ratio ${(b.rps / r.rps).toFixed(2)} bridge ${Math.round(b.rps)} ${JSON.stringify(b.cpu, (k, v) => typeof v === 'number' ? Math.round(v) : v)} bare ${Math.round(r.rps)} ${JSON.stringify(r.cpu, (k, v) => typeof v === 'number' ? Math.round(v) : v)}`);
}
child.kill(); await h.close();
