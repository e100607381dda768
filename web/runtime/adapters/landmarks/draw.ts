// Skeletons over the image: bones as lines between named keypoints, joints as dots (body and hand pose).

export interface NamedPoint { name: string; x: number; y: number; score?: number }

type Ctx = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** Draws `bones` (pairs of keypoint indices) and the joints of `points` in `color`; points whose score is
 *  under `minScore` (not visible) are left out, and so are the bones that reach them. */
export function drawSkeleton(ctx: Ctx, points: readonly NamedPoint[], bones: readonly (readonly [number, number])[], color: string,
  width: number, height: number, minScore = 0.5): void {
  const line = Math.max(2, Math.round(Math.min(width, height) / 250));
  const shown = (p: NamedPoint | undefined): p is NamedPoint => p !== undefined && (p.score === undefined || p.score >= minScore);
  ctx.lineWidth = line;
  ctx.strokeStyle = color;
  ctx.beginPath();
  for (const [a, b] of bones) {
    const p = points[a], q = points[b];
    if (!shown(p) || !shown(q)) continue;
    ctx.moveTo(p.x * width, p.y * height);
    ctx.lineTo(q.x * width, q.y * height);
  }
  ctx.stroke();
  ctx.fillStyle = '#ffffff';
  ctx.strokeStyle = color;
  for (const p of points) {
    if (!shown(p)) continue;
    ctx.beginPath();
    ctx.arc(p.x * width, p.y * height, line * 1.5, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
  }
}

/** A label above a box [x, y, w, h] (normalized), in `color`. */
export function drawLabel(ctx: Ctx, text: string, box: readonly number[], color: string, width: number, height: number): void {
  const line = Math.max(2, Math.round(Math.min(width, height) / 250));
  ctx.font = `${Math.max(12, line * 6)}px sans-serif`;
  ctx.fillStyle = color;
  ctx.fillText(text, box[0]! * width, Math.max(line * 6, box[1]! * height - line * 2));
}
