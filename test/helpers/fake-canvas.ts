// Stand-ins for the worker's OffscreenCanvas and ImageBitmap, so that adapters' image code runs in Node:
// the canvas keeps the transform its last drawImage drew with and reads back black pixels.

export class FakeCanvas {
  /** The transform (a, b, c, d, e, f) of the last drawImage on any fake canvas. */
  static drawn: number[] = [];
  private m = [1, 0, 0, 1, 0, 0];
  constructor(readonly width: number, readonly height: number) {}
  getContext() {
    const mul = (n: number[]) => {
      const [a, b, c, d, e, f] = this.m;
      this.m = [a! * n[0]! + c! * n[1]!, b! * n[0]! + d! * n[1]!, a! * n[2]! + c! * n[3]!, b! * n[2]! + d! * n[3]!,
        a! * n[4]! + c! * n[5]! + e!, b! * n[4]! + d! * n[5]! + f!];
    };
    return {
      fillStyle: '', fillRect() {},
      translate: (x: number, y: number) => mul([1, 0, 0, 1, x, y]),
      scale: (x: number, y: number) => mul([x, 0, 0, y, 0, 0]),
      rotate: (t: number) => mul([Math.cos(t), Math.sin(t), -Math.sin(t), Math.cos(t), 0, 0]),
      drawImage: () => { FakeCanvas.drawn = [...this.m]; },
      getImageData: (_x: number, _y: number, w: number, h: number) => ({ data: new Uint8ClampedArray(w * h * 4) }),
    };
  }
}

export class FakeBitmap {
  closed = false;
  constructor(readonly width: number, readonly height: number) {}
  close() { this.closed = true; }
}

/** Runs `work` with the fakes as the global OffscreenCanvas and ImageBitmap, then puts back what was there. */
export async function withFakeCanvas<T>(work: () => T | Promise<T>): Promise<T> {
  const g = globalThis as { OffscreenCanvas?: unknown; ImageBitmap?: unknown };
  const before = [g.OffscreenCanvas, g.ImageBitmap];
  g.OffscreenCanvas = FakeCanvas;
  g.ImageBitmap = FakeBitmap;
  try {
    return await work();
  } finally {
    [g.OffscreenCanvas, g.ImageBitmap] = before;
  }
}
