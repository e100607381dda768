// The person segmenter's pure parts without a browser: probabilities resized to the image, the overlay
// drawn from a mask, and the greyscale PNG a mask is sent as.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskToGrey, tintPixels } from '../web/runtime/adapters/person-segmenter.ts';
import { crc32, encodeGreyPng, filterUp } from '../web/runtime/png.ts';
import { decodeGreyPng, meanIn, pngChunks } from './helpers/png.ts';

describe('person mask', () => {
  it('resizes probabilities to the image as grey bytes, clamped to 0..255', () => {
    assert.deepEqual([...maskToGrey([0.5], 1, 1, 3, 2)], [128, 128, 128, 128, 128, 128]);
    assert.deepEqual([...maskToGrey([-0.2, 1.7], 2, 1, 2, 1)], [0, 255]);
    // Two columns, 0 and 1, drawn four wide: the outer pixels keep their column, the inner ones blend
    // (pixel centres at 0.25 and 0.75 of the way between the columns' centres).
    assert.deepEqual([...maskToGrey([0, 1], 2, 1, 4, 1)], [0, 64, 191, 255]);
    // Rows as columns.
    assert.deepEqual([...maskToGrey([0, 1], 1, 2, 1, 4)], [0, 64, 191, 255]);
    // Shrinking takes the nearest centres between.
    assert.deepEqual([...maskToGrey([0, 0, 1, 1], 4, 1, 2, 1)], [0, 255]);
  });

  it('keeps where a person is when it resizes a mask to another aspect ratio', () => {
    // A 16×16 map with a person in its left half, drawn 64×32.
    const map = Array.from({ length: 256 }, (_, i) => (i % 16 < 8 ? 1 : 0));
    const grey = maskToGrey(map, 16, 16, 64, 32);
    const image = { width: 64, height: 32, pixels: grey };
    assert.equal(meanIn(image, [0, 0, 0.4, 1]), 1);
    assert.equal(meanIn(image, [0.6, 0, 0.4, 1]), 0);
  });
});

describe('person overlay', () => {
  it('is the tint, as opaque as the mask times the opacity', () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255, 128, 128, 128, 255]);
    tintPixels(rgba, [0, 230, 118], 0.5);
    assert.deepEqual([...rgba], [0, 230, 118, 128, 0, 230, 118, 0, 0, 230, 118, 64]);
  });
});

describe('greyscale PNG', () => {
  it('computes PNG CRC-32', () => {
    assert.equal(crc32(new TextEncoder().encode('IEND')), 0xae426082);
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  });

  it('filters every row as Up: the difference from the row above', () => {
    assert.deepEqual([...filterUp(new Uint8Array([1, 2, 3, 1, 5, 0]), 3, 2)], [2, 1, 2, 3, 2, 0, 3, 253]);
  });

  it('encodes pixels that decode back as they were, in chunks whose CRCs hold', async () => {
    const pixels = new Uint8Array(37 * 11).map((_, i) => (i * 7) % 256);
    const png = await encodeGreyPng(pixels, 37, 11);
    const chunks = pngChunks(png);
    assert.deepEqual(chunks.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
    for (const c of chunks) assert.equal(c.crc, crc32(new Uint8Array(Buffer.concat([Buffer.from(c.type, 'latin1'), c.data]))), c.type);
    assert.deepEqual(decodeGreyPng(png), { width: 37, height: 11, pixels });
  });

  it('keeps a flat mask small and refuses pixels that are not width×height', async () => {
    assert.ok((await encodeGreyPng(new Uint8Array(1280 * 720).fill(255), 1280, 720)).byteLength < 4000);
    await assert.rejects(encodeGreyPng(new Uint8Array(5), 2, 2), /5 bytes are not 2×2 pixels/);
  });
});
