import { defineConfig } from 'vite';

// The page must be cross-origin isolated so onnxruntime-web's WASM backend can use threads
// (SharedArrayBuffer). The bridge sends the same headers when it serves the built page.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: 'web',
  publicDir: '../public',
  base: './',
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      // The page, the frame its runtime programs run in (web/programs/frames.ts), and the runtime as a
      // module any page can import (`<bridge>/runtime.js`).
      input: { main: 'web/index.html', programHost: 'web/program-host.html', runtime: 'web/runtime/embed.ts' },
      preserveEntrySignatures: 'exports-only',
      output: { entryFileNames: (chunk) => (chunk.name === 'runtime' ? 'runtime.js' : 'assets/[name]-[hash].js') },
    },
  },
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
});
