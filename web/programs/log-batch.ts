// A program's log lines leave its worker at a bounded rate: one that prints in a tight loop sends a few
// batches a second instead of a message per line (a flood of messages kept the program host from answering
// its heartbeat, and the page then took it for crashed), and holds at most the lines the log keeps between them.
import type { FromProgram } from './messages.ts';

/** Lines a session's log keeps (session.ts): older lines of one batch are only counted. */
export const MAX_LOG_LINES = 1000;
/** Lines sent one by one in each window of WINDOW_MS; past them, the window's further lines wait and go as one batch. */
const LINES_PER_WINDOW = 100;
const WINDOW_MS = 50;

/**
 * Wraps a worker's `send`. A line goes at once, unless the program already sent LINES_PER_WINDOW in this
 * window: then it waits, with the next ones, for a batch that leaves when the window ends (at the next line
 * after it, since a program running synchronously lets no timer fire, or on a timer). Any other message
 * first sends the lines before it, so that the runner reads them in order. A program that prints that fast
 * and then runs without printing or yielding holds its last batch until it does.
 */
export function batchLogs<T extends { type: string }>(send: (message: T | FromProgram, transfer?: Transferable[]) => void) {
  let lines: string[] = [];
  let dropped = 0;
  let windowStart = -Infinity;
  let sentInWindow = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (lines.length === 0 && dropped === 0) return;
    send({ type: 'logs', lines, dropped });
    lines = [];
    dropped = 0;
  };
  return (message: T | FromProgram, transfer?: Transferable[]) => {
    if (message.type !== 'log') {
      flush();
      send(message, transfer);
      return;
    }
    const now = performance.now();
    if (now - windowStart >= WINDOW_MS) {
      flush();
      windowStart = now;
      sentInWindow = 0;
    }
    if (sentInWindow < LINES_PER_WINDOW) {
      sentInWindow++;
      send(message);
      return;
    }
    lines.push((message as { line: string }).line);
    // Trimmed in steps, not line by line: a batch past twice the log's size drops its oldest lines.
    if (lines.length >= 2 * MAX_LOG_LINES) {
      dropped += lines.length - MAX_LOG_LINES;
      lines = lines.slice(-MAX_LOG_LINES);
    }
    timer ??= setTimeout(flush, Math.max(0, windowStart + WINDOW_MS - now));
  };
}
