// A region of interest as MediaPipe's landmark models take it (its NormalizedRect): a rotated rectangle
// of the image, cut out and scaled into the network's input (ImageToTensorCalculator), and the network's
// points in that crop projected back onto the image (LandmarkProjectionCalculator).

export interface Roi {
  /** Centre, width and height normalized to the image's width and height. */
  cx: number;
  cy: number;
  width: number;
  height: number;
  /** Radians, clockwise on the image (y down), as MediaPipe's. */
  rotation: number;
}

/**
 * The RGBA pixels of `roi` cut out of `image` and scaled to width×height, rotated so that the ROI's own
 * axes are the crop's. What falls outside the image is black.
 */
export function cropRoi(image: ImageBitmap | OffscreenCanvas, roi: Roi, width: number, height: number): Uint8ClampedArray {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('OffscreenCanvas 2D context is not available');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, width, height);
  // Image pixels → crop pixels: about the ROI's centre, turned back by its rotation, scaled to the crop.
  ctx.translate(width / 2, height / 2);
  ctx.scale(width / (roi.width * image.width), height / (roi.height * image.height));
  ctx.rotate(-roi.rotation);
  ctx.translate(-roi.cx * image.width, -roi.cy * image.height);
  ctx.drawImage(image, 0, 0);
  return ctx.getImageData(0, 0, width, height).data;
}

/** A point of the crop (`x`, `y` in 0..1 of its width and height) → the same point normalized to the image. */
export function projectFromRoi(x: number, y: number, roi: Roi, imageWidth: number, imageHeight: number): [number, number] {
  // In pixels, so that a rotated ROI stays a rectangle on an image that is not square.
  const dx = (x - 0.5) * roi.width * imageWidth;
  const dy = (y - 0.5) * roi.height * imageHeight;
  const cos = Math.cos(roi.rotation);
  const sin = Math.sin(roi.rotation);
  return [roi.cx + (cos * dx - sin * dy) / imageWidth, roi.cy + (sin * dx + cos * dy) / imageHeight];
}
