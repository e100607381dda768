/** A query the model cannot take (a missing input, an image that does not decode). The name survives
 *  comlink's error serialization, so the page can tell it from a model failure. */
export class InputError extends Error {
  override name = 'InputError';
}

/** A run dropped because its asker gave up on it (the bridge's cancel); `code` is the contract's. */
export class Cancelled extends Error {
  override name = 'Cancelled';
  readonly code = 'dropped';
  constructor(why: unknown) {
    super(`dropped: ${typeof why === 'string' ? why : 'cancelled'}`);
  }
}
