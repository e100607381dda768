// What the browser tests of the examples share: a site that serves examples/ (the sketches' own origin, not
// the bridge's), a browser context in which the examples' CDN scripts come from local files (there is no
// internet here), and a fake camera that shows the astronaut.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';

export const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
export const CLIENTS = {
  v2: repo('node_modules/socket.io-client-v2/dist/socket.io.js'),
  v4: repo('node_modules/socket.io-client/dist/socket.io.min.js'),
} as const;
const P5 = repo('node_modules/p5/lib/p5.min.js');
export const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.jpg': 'image/jpeg' };

/** Answers a path the site has beyond examples/ (a test's own page), or undefined. */
export type ExtraRoute = (path: string) => { type: string; body: string | Buffer } | undefined;

/** The sketches' own site on a free port: `/examples/…` (a folder gives its index.html), the astronaut,
 *  and whatever `extra` answers. */
export async function serveSketches(extra: ExtraRoute = () => undefined): Promise<{ server: Server; port: number }> {
  const examples = repo('examples');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sketch');
    const send = (status: number, type: string, body: string | Buffer) => { res.writeHead(status, { 'content-type': type }); res.end(body); };
    const own = extra(url.pathname);
    if (own) return send(200, own.type, own.body);
    if (url.pathname === '/astronaut.jpg') return send(200, TYPES['.jpg']!, readFileSync(repo('test/fixtures/astronaut.jpg')));
    if (url.pathname.startsWith('/examples/')) {
      const rel = normalize(decodeURIComponent(url.pathname.slice('/examples/'.length))).replace(/^(\.\.[/\\])+/, '');
      const file = join(examples, rel.endsWith('/') || rel === '.' ? join(rel, 'index.html') : rel);
      try {
        return send(200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
      } catch { /* answered below */ }
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * A fresh context whose pages get the examples' CDN scripts from local files. Only examples should run in
 * it: while Playwright intercepts a context's requests it answers every CORS preflight itself, allowing it,
 * so pages that test CORS need a context that intercepts nothing.
 */
export async function exampleContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.route('https://cdn.jsdelivr.net/**', (route) => {
    const path = new URL(route.request().url()).pathname;
    if (/^\/npm\/p5@[^/]+\/lib\/p5\.min\.js$/.test(path)) return route.fulfill({ path: P5, contentType: TYPES['.js'] });
    if (/^\/npm\/socket\.io-client@2\.[^/]+\/dist\/socket\.io\.js$/.test(path)) return route.fulfill({ path: CLIENTS.v2, contentType: TYPES['.js'] });
    return route.abort();
  });
  // The Socket.IO examples load the client from the bridge's default port; the test's bridge is elsewhere.
  await context.route('http://127.0.0.1:3000/socket.io/socket.io.js', (route) => route.fulfill({ path: repo('node_modules/socket.io-client/dist/socket.io.js'), contentType: TYPES['.js'] }));
  return context;
}

/** A fake camera that shows the astronaut: one JPEG is an MJPEG file of one frame, played in a loop. Give
 *  `args` to the browser; `remove()` when it is closed. */
export function astronautCamera(): { args: string[]; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'pagebridge-camera-'));
  const file = join(dir, 'astronaut.mjpeg');
  copyFileSync(repo('test/fixtures/astronaut.jpg'), file);
  return { args: [`--use-file-for-fake-video-capture=${file}`], remove: () => rmSync(dir, { recursive: true, force: true }) };
}
