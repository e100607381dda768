import type { Adapter } from './adapter.ts';
import { faceDetector } from './face-detector.ts';

/** Adapter families by the name a model.json gives under "adapter". */
export const adapters: Record<string, Adapter> = {
  'face-detector': faceDetector,
};
