// The published runtime module (`runtime.js` beside the page, `npm run build` writes it): the embed
// API, with models and onnxruntime fetched from wherever this module was loaded from by default.
import { setDefaultBaseUrl } from './index.ts';

// The directory of this module (not `new URL('./', import.meta.url)`: the bundler takes that for an asset).
setDefaultBaseUrl(import.meta.url.replace(/[^/]*$/, ''));

export * from './index.ts';
