// How much greener than red a box of a picture is, measured by the page's own image decoder: drawings
// tinted green (a person mask, a face mesh) show as a gain over the same box of the picture alone.
import type { Page } from 'playwright-core';

/** Mean green minus mean red over `box` ([x, y, w, h] in 0..1) of the image at `src` (a data URI). */
export function greenness(page: Page, src: string, box: readonly number[]): Promise<number> {
  return page.evaluate(async ([src, [x, y, w, h]]) => {
    const img = await createImageBitmap(await (await fetch(src)).blob());
    const c = new OffscreenCanvas(img.width, img.height);
    const g = c.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const d = g.getImageData(Math.round(x! * img.width), Math.round(y! * img.height), Math.round(w! * img.width), Math.round(h! * img.height)).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i + 1]! - d[i]!;
    return sum / (d.length / 4);
  }, [src, box] as const);
}
