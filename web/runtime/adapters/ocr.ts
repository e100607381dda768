// PaddleOCR v4: a detection network (DB: a per-pixel text probability map) finds text lines; each line
// is cropped, scaled to 48 px high and read by a recognition network (CTC over a character list).
import type { Adapter } from './adapter.ts';
import { decodeImage } from '../image.ts';

export interface TextBox { x: number; y: number; w: number; h: number; score: number }
export interface TextLine { text: string; box: [number, number, number, number]; score: number }

/**
 * DB post-processing with axis-aligned boxes: pixels above `threshold` form 4-connected regions; a
 * region whose mean probability reaches `boxThreshold` becomes a box, grown by the DB "unclip"
 * distance (area × ratio / perimeter) since the network predicts shrunk text kernels.
 */
export function textBoxes(prob: Float32Array, width: number, height: number, threshold: number, boxThreshold: number,
  unclipRatio: number, minSize = 3): TextBox[] {
  const seen = new Uint8Array(width * height);
  const stack: number[] = [];
  const boxes: TextBox[] = [];
  for (let start = 0; start < prob.length; start++) {
    if (seen[start] || prob[start]! <= threshold) continue;
    let x0 = width, y0 = height, x1 = 0, y1 = 0, sum = 0, count = 0;
    seen[start] = 1;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % width, y = (i - x) / width;
      sum += prob[i]!;
      count++;
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
      const next = [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, y > 0 ? i - width : -1, y < height - 1 ? i + width : -1];
      for (const n of next) if (n >= 0 && !seen[n] && prob[n]! > threshold) { seen[n] = 1; stack.push(n); }
    }
    const w = x1 - x0 + 1, h = y1 - y0 + 1;
    if (Math.min(w, h) < minSize || sum / count < boxThreshold) continue;
    const d = (w * h * unclipRatio) / (2 * (w + h));
    const bx = Math.max(0, x0 - d), by = Math.max(0, y0 - d);
    boxes.push({ x: bx, y: by, w: Math.min(width, x1 + 1 + d) - bx, h: Math.min(height, y1 + 1 + d) - by, score: sum / count });
  }
  return boxes;
}

/** Reading order: top to bottom, and left to right within a line (boxes whose tops are close). */
export function readingOrder(boxes: TextBox[], lineTolerance: number): TextBox[] {
  const byTop = [...boxes].sort((a, b) => a.y - b.y || a.x - b.x);
  const lines: TextBox[][] = [];
  for (const b of byTop) {
    const line = lines[lines.length - 1];
    if (line && Math.abs(b.y - line[0]!.y) <= lineTolerance) line.push(b);
    else lines.push([b]);
  }
  return lines.flatMap((l) => l.sort((a, b) => a.x - b.x));
}

/**
 * Greedy CTC decoding of `steps`×`classes` probabilities: the best class per step, repeats merged,
 * blanks (class 0) dropped. `chars[i]` is class i+1. Score: mean probability of the kept steps.
 */
export function ctcDecode(probs: Float32Array, steps: number, classes: number, chars: string[]): { text: string; score: number } {
  let text = '';
  let sum = 0, kept = 0, prev = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0, bestP = -1;
    const row = t * classes;
    for (let c = 0; c < classes; c++) {
      const p = probs[row + c]!;
      if (p > bestP) { bestP = p; best = c; }
    }
    if (best !== 0 && best !== prev) {
      text += chars[best - 1] ?? '';
      sum += bestP;
      kept++;
    }
    prev = best;
  }
  return { text, score: kept ? sum / kept : 0 };
}

/** RGBA → NCHW float32 in BGR order (PaddleOCR trains on OpenCV's BGR images), (v/255 - mean) / std. */
function toBgrNchw(rgba: Uint8ClampedArray, w: number, h: number, mean: number[], std: number[], out = new Float32Array(3 * w * h), outW = w): Float32Array {
  const plane = outW * h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const o = y * outW + x;
      out[o] = (rgba[i + 2]! / 255 - mean[0]!) / std[0]!;
      out[plane + o] = (rgba[i + 1]! / 255 - mean[1]!) / std[1]!;
      out[2 * plane + o] = (rgba[i]! / 255 - mean[2]!) / std[2]!;
    }
  }
  return out;
}

function pixels(image: ImageBitmap, sx: number, sy: number, sw: number, sh: number, w: number, h: number): Uint8ClampedArray {
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(image, sx, sy, sw, sh, 0, 0, w, h);
  return ctx.getImageData(0, 0, w, h).data;
}

interface Params { maxSide: number; binaryThreshold: number; boxThreshold: number; unclipRatio: number; minScore: number }
const REC_HEIGHT = 48;
const REC_MIN_WIDTH = 320;
const REC_MAX_WIDTH = 2048;

let charCache: { bytes: Uint8Array; chars: string[] } | undefined;

export const ocr: Adapter = {
  async run(inputs, { networks, files, manifest }) {
    const p = { maxSide: 960, binaryThreshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, minScore: 0.5, ...manifest.params } as Params;
    const det = networks.det!, rec = networks.rec!;
    // The character list, plus the space PaddleOCR appends (use_space_char); decoded once.
    const cache: { bytes: Uint8Array; chars: string[] } = charCache && charCache.bytes === files.keys ? charCache : { bytes: files.keys!, chars: [...new TextDecoder().decode(files.keys).split('\n'), ' '] };
    charCache = cache;
    const { chars } = cache;
    const image = await decodeImage(inputs.image, 'image');
    try {
      // Detection input: both sides multiples of 32, the longer at most maxSide.
      const scale = Math.min(1, p.maxSide / Math.max(image.width, image.height));
      const dw = Math.max(32, Math.round((image.width * scale) / 32) * 32);
      const dh = Math.max(32, Math.round((image.height * scale) / 32) * 32);
      const detInput = toBgrNchw(pixels(image, 0, 0, image.width, image.height, dw, dh), dw, dh, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
      const detOut = await det.run({ [det.inputs[0]!.name]: { type: 'float32', data: detInput, dims: [1, 3, dh, dw] } });
      const probMap = detOut[det.outputs[0]!.name]!;
      const found = textBoxes(probMap.data as Float32Array, dw, dh, p.binaryThreshold, p.boxThreshold, p.unclipRatio);

      const sx = image.width / dw, sy = image.height / dh;
      const lines: TextLine[] = [];
      for (const b of readingOrder(found, 10)) {
        const x = b.x * sx, y = b.y * sy, w = b.w * sx, h = b.h * sy;
        const width = Math.min(REC_MAX_WIDTH, Math.max(1, Math.ceil((REC_HEIGHT * w) / h)));
        const padded = Math.max(REC_MIN_WIDTH, width);
        // Right-padding stays 0, i.e. mid-grey after normalization, as PaddleOCR pads.
        const data = toBgrNchw(pixels(image, x, y, w, h, width, REC_HEIGHT), width, REC_HEIGHT, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5],
          new Float32Array(3 * REC_HEIGHT * padded), padded);
        const recOut = await rec.run({ [rec.inputs[0]!.name]: { type: 'float32', data, dims: [1, 3, REC_HEIGHT, padded] } });
        const t = recOut[rec.outputs[0]!.name]!;
        const [, steps, classes] = t.dims;
        const read = ctcDecode(t.data as Float32Array, steps!, classes!, chars);
        if (read.score < p.minScore || !read.text.trim()) continue;
        const r = (v: number) => Math.round(v * 1e4) / 1e4;
        lines.push({ text: read.text.trim(), box: [r(x / image.width), r(y / image.height), r(w / image.width), r(h / image.height)], score: r(read.score) });
      }
      return { text: lines.map((l) => l.text).join('\n'), lines };
    } finally {
      image.close();
    }
  },

  draw(ctx, outputs, width, height) {
    const lines = (outputs.lines ?? []) as TextLine[];
    ctx.lineWidth = 2;
    for (const l of lines) {
      const [x, y, w, h] = l.box;
      ctx.strokeStyle = '#2979ff';
      ctx.strokeRect(x * width, y * height, w * width, h * height);
      ctx.font = `${Math.max(10, Math.round(h * height * 0.6))}px sans-serif`;
      ctx.fillStyle = '#2979ff';
      ctx.fillText(l.text, x * width, y * height + h * height + Math.max(10, h * height * 0.6));
    }
  },
};
