// The built page and its models (--static-dir), served with the headers the page and its workers need.
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/**
 * The built program worker and the placeholder statistics worker (web/programs/program-worker.ts,
 * stats-worker.ts) and the policy they are served with: scripts only from blob: URLs (the program's
 * own modules; onnxruntime comes from the page as text), so `import()` of any URL, this origin's
 * included, makes no request; no fetch, XHR, WebSocket or EventSource; no nested workers.
 */
const PROGRAM_WORKER = /(?:program|stats)-worker[^/\\]*\.js$/;
const PROGRAM_WORKER_CSP = "default-src 'none'; script-src blob: 'wasm-unsafe-eval'; worker-src 'none'; connect-src 'none'";
/**
 * The program host frames (web/program-host.html, web/programs/host.ts): their own scripts, the
 * program and statistics workers (and the blob: worker that finds a syntax error's line), the program
 * workers' frame (from workers.localhost: web/programs/host.ts), no network at all.
 */
const PROGRAM_HOST = /program-host\.html$/;
const PROGRAM_HOST_CSP = "default-src 'none'; script-src 'self'; worker-src 'self' blob:; frame-src 'self' http://workers.localhost:*; " +
  "connect-src 'none'; base-uri 'none'; form-action 'none'";

export async function servePageFiles(app: FastifyInstance, staticDir: string): Promise<void> {
  await app.register(fastifyStatic, {
    root: staticDir,
    setHeaders: (res, path) => {
      // Cross-origin isolation: onnxruntime's WASM threads need it (web/runtime/ort-config.ts).
      res.header('Cross-Origin-Opener-Policy', 'same-origin');
      res.header('Cross-Origin-Embedder-Policy', 'require-corp');
      // Lets pages on other origins (an embedding sketch) load the runtime and models from here.
      res.header('Cross-Origin-Resource-Policy', 'cross-origin');
      // A runtime program's worker and its frame: no network (not the bridge, not the internet).
      if (PROGRAM_WORKER.test(path)) res.header('Content-Security-Policy', PROGRAM_WORKER_CSP);
      if (PROGRAM_HOST.test(path)) res.header('Content-Security-Policy', PROGRAM_HOST_CSP);
    },
  });
}
