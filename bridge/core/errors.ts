import type { ErrorCode } from '../../web/contract/index.ts';

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
