import type { Adapter } from './adapter.ts';
import { faceDetector } from './face-detector.ts';
import { faceMesh } from './face-mesh.ts';
import { lineDetector } from './line-detector.ts';
import { voiceActivity } from './voice-activity.ts';
import { ocr } from './ocr.ts';
import { personSegmenter } from './person-segmenter.ts';
import { bodyPose } from './body-pose.ts';
import { handPose } from './hand-pose.ts';
import { tensor } from './tensor.ts';

/** Adapter families by the name a model.json gives under "adapter". */
export const adapters: Record<string, Adapter> = {
  'face-detector': faceDetector,
  'face-mesh': faceMesh,
  'line-detector': lineDetector,
  'voice-activity': voiceActivity,
  ocr,
  'person-segmenter': personSegmenter,
  'body-pose': bodyPose,
  'hand-pose': handPose,
  tensor,
};
