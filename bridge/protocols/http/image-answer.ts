// An output image as the HTTP answer itself, for a client that asks for it (`?format=png` or `jpeg`, or an
// Accept header that names an image type and not JSON): a mask or a picture straight into an <img>, a
// file, or an image decoder, with no JSON and no base64 in between.

/** Whether the request asks for the output image rather than JSON. */
export function wantsImage(format: unknown, accept: string | undefined): boolean {
  if (typeof format === 'string') return /^(png|jpe?g|image)$/i.test(format);
  if (!accept) return false;
  return /\bimage\//i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}
