/** A query the model cannot take (a missing input, an image that does not decode). The name survives
 *  comlink's error serialization, so the page can tell it from a model failure. */
export class InputError extends Error {
  override name = 'InputError';
}
