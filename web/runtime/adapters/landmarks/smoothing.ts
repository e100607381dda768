// Landmark smoothing on live input, as MediaPipe's pose graph does it (LandmarksSmoothingCalculator with a
// one-euro filter, VisibilitySmoothingCalculator with a low-pass): a keypoint that stands still stops
// trembling, one that moves fast follows with little lag. Coordinates are filtered in pixels, with the
// speed divided by the body's size (its box's mean side), so a far small body is smoothed as a near one.
import type { Point } from './points.ts';

export interface OneEuroOptions {
  /** Cutoff frequency (Hz) at rest: lower smooths more. */
  minCutoff: number;
  /** How fast the cutoff grows with speed: higher lags less on fast moves. */
  beta: number;
  /** Cutoff frequency (Hz) of the speed estimate. */
  derivateCutoff: number;
}

/** MediaPipe pose's landmark filter (pose_landmark_filtering). */
export const POSE_SMOOTHING: OneEuroOptions = { minCutoff: 0.05, beta: 80, derivateCutoff: 1 };
/** MediaPipe pose's visibility low-pass. */
const VISIBILITY_ALPHA = 0.1;

class LowPass {
  private stored: number | undefined;
  last: number | undefined;
  apply(value: number, alpha: number): number {
    this.stored = this.stored === undefined ? value : alpha * value + (1 - alpha) * this.stored;
    this.last = value;
    return this.stored;
  }
}

/** One value's one-euro filter (Casiez et al. 2012), as MediaPipe's one_euro_filter.cc computes it. */
export class OneEuroFilter {
  private readonly x = new LowPass();
  private readonly dx = new LowPass();
  /** Hz; MediaPipe's default until two timestamps give it. */
  private frequency = 30;
  private lastTime: number | undefined;

  constructor(private readonly options: OneEuroOptions) {}

  /** `seconds`: the frame's time; `valueScale`: what the speed is multiplied by (1 / the object's size). */
  apply(value: number, seconds: number, valueScale = 1): number {
    if (this.lastTime !== undefined) {
      // A frame no later than the last (a clock that did not move) passes unfiltered, as MediaPipe's does.
      if (seconds <= this.lastTime) return value;
      this.frequency = 1 / (seconds - this.lastTime);
    }
    this.lastTime = seconds;
    const speed = this.x.last === undefined ? 0 : (value - this.x.last) * valueScale * this.frequency;
    const smoothSpeed = this.dx.apply(speed, this.alpha(this.options.derivateCutoff));
    return this.x.apply(value, this.alpha(this.options.minCutoff + this.options.beta * Math.abs(smoothSpeed)));
  }

  private alpha(cutoff: number): number {
    const tau = 1 / (2 * Math.PI * cutoff);
    return 1 / (1 + tau * this.frequency);
  }
}

/** One live track's keypoints, each coordinate filtered on its own. */
export class LandmarkSmoother {
  private readonly filters: OneEuroFilter[] = [];
  private readonly visibility: LowPass[] = [];

  constructor(private readonly options: OneEuroOptions = POSE_SMOOTHING) {}

  /** Smoothed copies of `points` (normalized to an image of width×height), seen at `seconds`. */
  apply(points: readonly Point[], seconds: number, width: number, height: number): Point[] {
    const xs = points.map((p) => p.x * width), ys = points.map((p) => p.y * height);
    // MediaPipe's object scale: the mean side of the points' box, in pixels.
    const scale = ((Math.max(...xs) - Math.min(...xs)) + (Math.max(...ys) - Math.min(...ys))) / 2;
    const valueScale = scale > 1e-6 ? 1 / scale : 1;
    return points.map((p, i) => {
      const [fx, fy, fz] = [0, 1, 2].map((k) => (this.filters[i * 3 + k] ??= new OneEuroFilter(this.options)));
      const out: Point = {
        x: fx!.apply(p.x * width, seconds, valueScale) / width,
        y: fy!.apply(p.y * height, seconds, valueScale) / height,
        // z is in the x axis' units (MediaPipe's convention).
        z: fz!.apply(p.z * width, seconds, valueScale) / width,
      };
      if (p.visibility !== undefined) out.visibility = (this.visibility[i] ??= new LowPass()).apply(p.visibility, VISIBILITY_ALPHA);
      return out;
    });
  }
}
