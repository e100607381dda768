// The two HTTP clients the sections query the bridge with: fetch (undici) and Node's own http module.
import http from 'node:http';

/** A POST with fetch; throws unless the answer is 200, and reads the answer in full. */
export async function post(url: string, body: string | Uint8Array, type = 'application/json'): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body: body as BodyInit });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** A POST over one kept-alive connection per address, with Node's own http client. */
export function keepAlivePost(): (url: string, body: string) => Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return (url, body) => new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(body);
  });
}
