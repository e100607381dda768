// The one list of error codes. The page answers a request with one of them; the bridge maps each to
// every protocol's own error shape (HTTP status, Socket.IO ack, OSC /error, LabGraph error event, …).

export const ERROR_CODES = [
  'bad_request',  // the query itself is malformed (wrong type, missing input, undecodable image)
  'not_found',    // no such model, session or placeholder
  'unavailable',  // no page holds the model, or the page went away
  'busy',         // a queue is full
  'timeout',      // the model did not answer in time
  'too_large',    // over a size limit
  'model_failed', // the model ran and failed
  'dropped',      // a live frame replaced by a newer one from the same client (the bridge's core only)
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(code: unknown): code is ErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(code);
}
