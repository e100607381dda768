// The built page and its models (--static-dir), served with the headers the page and its workers need.
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** The built program worker (web/programs/program-worker.ts) and the policy it is served with. */
const PROGRAM_WORKER = /program-worker[^/\\]*\.js$/;
const PROGRAM_WORKER_CSP = "default-src 'none'; script-src 'self' blob: 'wasm-unsafe-eval'; worker-src 'none'; connect-src 'none'";

export async function servePageFiles(app: FastifyInstance, staticDir: string): Promise<void> {
  await app.register(fastifyStatic, {
    root: staticDir,
    setHeaders: (res, path) => {
      // Cross-origin isolation: onnxruntime's WASM threads need it (web/runtime/ort-config.ts).
      res.header('Cross-Origin-Opener-Policy', 'same-origin');
      res.header('Cross-Origin-Embedder-Policy', 'require-corp');
      // Lets pages on other origins (an embedding sketch) load the runtime and models from here.
      res.header('Cross-Origin-Resource-Policy', 'cross-origin');
      // A runtime program's worker: no network (not the bridge, not the internet), no nested workers;
      // only this origin's scripts (onnxruntime) and the program's own blob-URL modules.
      if (PROGRAM_WORKER.test(path)) res.header('Content-Security-Policy', PROGRAM_WORKER_CSP);
    },
  });
}
