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

/**
 * Codes that say a query was refused, whether the bridge found it out before the page (input checks,
 * queue caps, an unknown model) or the page did (an image that does not decode, its own queue full).
 */
const REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['bad_request', 'not_found', 'busy', 'dropped']);

/**
 * Whether a failed query is its model's failure: it reached the model (went to a page) and failed
 * there, timed out or lost its page. Only such a failure becomes the model's last error (`/error`) and
 * goes to every listener (docs/protocols.md, "Refused or failed"); a refused query is its asker's alone.
 */
export function isModelFailure(error: BridgeError, reachedModel: boolean): boolean {
  return reachedModel && !REFUSALS.has(error.code);
}
