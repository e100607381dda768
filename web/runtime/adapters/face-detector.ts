// BlazeFace face detection: keijiro's ONNX exports (face-detection) or MediaPipe's TFLite network
// (face-detection-short), decoded by blazeface.ts; the adapter turns its faces into the model's output
// and draws them.
import type { Adapter } from './adapter.ts';
import { decodeImage } from '../image.ts';
import { detectFaces, headsOf, type DetectorParams, type Face } from './blazeface.ts';

const round = (v: number) => Math.round(v * 1e5) / 1e5;

export const faceDetector: Adapter = {
  async run(inputs, { network, manifest }) {
    const p = { size: 256, scoreThreshold: 0.5, iouThreshold: 0.3, maxFaces: 20, ...manifest.params } as DetectorParams;
    const bitmap = await decodeImage(inputs.image, 'image');
    let found: Face[];
    try {
      found = await detectFaces(network, bitmap, headsOf(network), p);
    } finally {
      bitmap.close();
    }
    const faces = found.map((f) => ({
      box: f.box.map(round),
      score: round(f.score),
      keypoints: f.keypoints.map(([x, y]) => [round(x), round(y)]),
    }));
    return { faces };
  },

  draw(ctx, outputs, width, height) {
    const faces = (outputs.faces ?? []) as Face[];
    const line = Math.max(2, Math.round(Math.min(width, height) / 200));
    ctx.lineWidth = line;
    ctx.font = `${Math.max(12, line * 6)}px sans-serif`;
    for (const f of faces) {
      const [x, y, w, h] = f.box;
      ctx.strokeStyle = '#00e676';
      ctx.strokeRect(x * width, y * height, w * width, h * height);
      ctx.fillStyle = '#ff1744';
      for (const [kx, ky] of f.keypoints) {
        ctx.beginPath();
        ctx.arc(kx * width, ky * height, line * 1.5, 0, Math.PI * 2);
        ctx.fill();
      }
      ctx.fillStyle = '#00e676';
      ctx.fillText(f.score.toFixed(2), x * width, Math.max(line * 6, y * height - line * 2));
    }
  },
};
