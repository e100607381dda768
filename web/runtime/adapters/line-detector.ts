// M-LSD line segment detection. The network predicts, on a grid at half the input's resolution, a
// centre score per cell (with non-maximum suppression already in the graph) and each segment's two
// end points as offsets from its cell.
import type { Adapter } from './adapter.ts';
import { decodeImage, stretch } from '../image.ts';

export interface Segment {
  /** [x1, y1, x2, y2], normalized to the image. */
  line: [number, number, number, number];
  score: number;
}

/**
 * Decodes `scores` [grid×grid] and `offsets` [grid×grid×4] (NHWC: start dx, dy, end dx, dy in cells)
 * into segments with a score of at least `threshold` and a length of at least `minLength` (fraction
 * of the image), best first. A cell must also be the best of its 3×3 neighbourhood.
 */
export function decodeSegments(scores: Float32Array, offsets: Float32Array, grid: number, threshold: number,
  minLength: number, maxLines: number): Segment[] {
  const out: Segment[] = [];
  for (let y = 0; y < grid; y++) {
    for (let x = 0; x < grid; x++) {
      const i = y * grid + x;
      const s = scores[i]!;
      if (s < threshold || !isLocalMax(scores, grid, x, y)) continue;
      const o = i * 4;
      const line: Segment['line'] = [
        (x + offsets[o]!) / grid, (y + offsets[o + 1]!) / grid,
        (x + offsets[o + 2]!) / grid, (y + offsets[o + 3]!) / grid,
      ];
      if (Math.hypot(line[2] - line[0], line[3] - line[1]) < minLength) continue;
      out.push({ line: line.map(clamp01) as Segment['line'], score: s });
    }
  }
  return out.sort((a, b) => b.score - a.score).slice(0, maxLines);
}

function isLocalMax(scores: Float32Array, grid: number, x: number, y: number): boolean {
  const s = scores[y * grid + x]!;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const nx = x + dx, ny = y + dy;
      if ((dx || dy) && nx >= 0 && ny >= 0 && nx < grid && ny < grid) {
        const n = scores[ny * grid + nx]!;
        // Ties go to the first cell in reading order, so a plateau yields one segment.
        if (n > s || (n === s && (dy < 0 || (dy === 0 && dx < 0)))) return false;
      }
    }
  }
  return true;
}

const clamp01 = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 1e5) / 1e5;

interface Params { size: number; scoreThreshold: number; minLength: number; maxLines: number }

export const lineDetector: Adapter = {
  async run(inputs, { network, manifest }) {
    const p = { size: 320, scoreThreshold: 0.1, minLength: 0.04, maxLines: 200, ...manifest.params } as Params;
    const bitmap = await decodeImage(inputs.image, 'image');
    const pixels = stretch(bitmap, p.size, p.size);
    bitmap.close();
    // RGB in 0..255 plus a constant fourth channel, as the model was exported.
    const data = new Float32Array(p.size * p.size * 4);
    for (let i = 0; i < p.size * p.size; i++) {
      data[i * 4] = pixels[i * 4]!;
      data[i * 4 + 1] = pixels[i * 4 + 1]!;
      data[i * 4 + 2] = pixels[i * 4 + 2]!;
      data[i * 4 + 3] = 1;
    }
    const out = await network.run({ [network.inputs[0]!.name]: { type: 'float32', data, dims: [1, p.size, p.size, 4] } });
    const grid = p.size / 2;
    const lines = decodeSegments(out.scores!.data as Float32Array, out.offsets!.data as Float32Array, grid,
      p.scoreThreshold, p.minLength, p.maxLines).map((s) => ({ line: s.line, score: Math.round(s.score * 1e4) / 1e4 }));
    return { lines };
  },

  draw(ctx, outputs, width, height) {
    const lines = (outputs.lines ?? []) as Segment[];
    ctx.lineWidth = Math.max(2, Math.round(Math.min(width, height) / 250));
    ctx.strokeStyle = '#ff9100';
    ctx.lineCap = 'round';
    for (const { line: [x1, y1, x2, y2] } of lines) {
      ctx.beginPath();
      ctx.moveTo(x1 * width, y1 * height);
      ctx.lineTo(x2 * width, y2 * height);
      ctx.stroke();
    }
  },
};
