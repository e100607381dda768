// SSD anchors as MediaPipe's SsdAnchorsCalculator makes them for its BlazePose and palm detectors: one
// feature map per run of equal strides, each cell holding one anchor per aspect ratio and scale of those
// layers, centres at (cell + offset) / map size, row by row.

export interface SsdAnchorOptions {
  inputWidth: number;
  inputHeight: number;
  minScale: number;
  maxScale: number;
  strides: readonly number[];
  /** Default [1]. */
  aspectRatios?: readonly number[];
  /** An extra anchor per layer between its scale and the next one's, at this aspect ratio; 0 for none.
   *  MediaPipe's default is 1. */
  interpolatedScaleAspectRatio?: number;
  /** Default 0.5: the cell's centre. */
  offset?: number;
  /** Every anchor 1×1 (box regressions are then in input pixels alone), as both detectors set. */
  fixedAnchorSize?: boolean;
}

const scaleOf = (min: number, max: number, index: number, count: number) =>
  count === 1 ? (min + max) / 2 : min + ((max - min) * index) / (count - 1);

/** Anchors as [x centre, y centre, width, height] per anchor, normalized to the input. */
export function ssdAnchors(o: SsdAnchorOptions): Float32Array {
  const ratios = o.aspectRatios ?? [1];
  const interpolated = o.interpolatedScaleAspectRatio ?? 1;
  const offset = o.offset ?? 0.5;
  const out: number[] = [];
  const n = o.strides.length;
  let layer = 0;
  while (layer < n) {
    const widths: number[] = [];
    const heights: number[] = [];
    // Layers of the same stride share one feature map: their anchors are merged, cell by cell.
    let last = layer;
    while (last < n && o.strides[last] === o.strides[layer]) {
      const scale = scaleOf(o.minScale, o.maxScale, last, n);
      const add = (s: number, ratio: number) => { widths.push(s * Math.sqrt(ratio)); heights.push(s / Math.sqrt(ratio)); };
      for (const ratio of ratios) add(scale, ratio);
      if (interpolated > 0) {
        const next = last === n - 1 ? 1 : scaleOf(o.minScale, o.maxScale, last + 1, n);
        add(Math.sqrt(scale * next), interpolated);
      }
      last++;
    }
    const stride = o.strides[layer]!;
    const rows = Math.ceil(o.inputHeight / stride);
    const cols = Math.ceil(o.inputWidth / stride);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        for (let a = 0; a < widths.length; a++) {
          out.push((x + offset) / cols, (y + offset) / rows, o.fixedAnchorSize ? 1 : widths[a]!, o.fixedAnchorSize ? 1 : heights[a]!);
        }
      }
    }
    layer = last;
  }
  return Float32Array.from(out);
}
