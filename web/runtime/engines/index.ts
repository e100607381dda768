// Engines by the name a model.json gives under "engine". Each is imported when a model first needs
// it, so a page that runs only ONNX models never loads another engine's code.
import type { ModelManifest } from '../../contract/index.ts';
import type { Engine } from './engine.ts';

const engines: Record<string, () => Promise<Engine>> = {
  onnx: async () => (await import('./onnx/index.ts')).onnxEngine,
  tflite: async () => (await import('./tflite/index.ts')).tfliteEngine,
};

/** Which engine a network file needs when its model.json names none. */
const BY_EXTENSION: Record<string, string> = { '.onnx': 'onnx', '.tflite': 'tflite' };

/** The engine name for a model: its `engine`, or the one its first network file's extension implies. */
export function engineName(manifest: Pick<ModelManifest, 'engine' | 'file' | 'assets'>): string {
  if (manifest.engine) return manifest.engine;
  const files = [manifest.file, ...(manifest.assets ?? []).map((a) => a.file)];
  for (const file of files) {
    const ext = file.slice(file.lastIndexOf('.'));
    if (BY_EXTENSION[ext]) return BY_EXTENSION[ext];
  }
  return 'onnx';
}

/** The engine that runs `manifest`'s networks. */
export function engineFor(manifest: Pick<ModelManifest, 'id' | 'engine' | 'file' | 'assets'>): Promise<Engine> {
  const name = engineName(manifest);
  const load = engines[name];
  if (!load) return Promise.reject(new Error(`model "${manifest.id}" names engine "${name}", which this runtime does not have (${Object.keys(engines).join(', ')})`));
  return load();
}
