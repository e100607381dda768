import type { ErrorCode as RelayErrorCode } from '../../web/runtime/types.ts';

/**
 * The codes that cross the relay, and `dropped`: a live frame that a newer frame from the same client
 * replaced while it waited (latest wins). Only the bridge's core gives that one; no page ever does.
 */
export type ErrorCode = RelayErrorCode | 'dropped';

/** An error every protocol knows how to show in its own shape. */
export class BridgeError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly retryAfterSeconds?: number) {
    super(message);
    this.name = 'BridgeError';
  }
}

export function toBridgeError(err: unknown): BridgeError {
  if (err instanceof BridgeError) return err;
  return new BridgeError('model_failed', err instanceof Error ? err.message : String(err));
}
