// The models the built page brings (scripts/install-models.mjs puts them in public/models/).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '../web/contract/index.ts';

/** The models in the built page's catalogue (models/index.json and each model.json). */
export function readCatalogue(staticDir: string): ModelManifest[] {
  const index = join(staticDir, 'models', 'index.json');
  if (!existsSync(index)) return [];
  const { models } = JSON.parse(readFileSync(index, 'utf8')) as { models: string[] };
  return models.map((id) => JSON.parse(readFileSync(join(staticDir, 'models', id, 'model.json'), 'utf8')) as ModelManifest);
}
