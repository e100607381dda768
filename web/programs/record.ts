// What a program leaves behind, kept by its session (session.ts) in the program host: its log (the last
// lines, the others counted) and its placeholders, which together may hold at most MAX_PLACEHOLDER_CHARS
// of JSON (values.ts). Bounded, so that no program can grow the host past what its messages carry.
import { CallError } from './messages.ts';
import { MAX_LOG_LINES } from './log-batch.ts';
import { MAX_PLACEHOLDER_CHARS, placeholderTooLarge, TooLargeError, toPlainWithin } from './values.ts';

const MAX_LINE_CHARS = 10_000;

export class ProgramRecord {
  readonly log: string[] = [];
  logDropped = 0;
  readonly placeholders = new Map<string, unknown>();
  /** Each placeholder's JSON size (about), counted against MAX_PLACEHOLDER_CHARS. */
  private readonly sizes = new Map<string, number>();
  /** Placeholders not kept for their size: why. */
  private readonly refused = new Map<string, string>();

  /** Adds lines to the log, a long line cut, the oldest past MAX_LOG_LINES only counted. */
  addLog(...lines: string[]): void {
    for (const line of lines) this.log.push(line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}… (${line.length} characters)` : line);
    const over = this.log.length - MAX_LOG_LINES;
    if (over > 0) {
      this.log.splice(0, over);
      this.logDropped += over;
    }
  }

  /** A batch from the program's worker (log-batch.ts): `dropped` lines before it did not fit the log. */
  addLogBatch(lines: unknown, dropped: unknown): void {
    const all = Array.isArray(lines) ? lines : [];
    this.logDropped += (Number(dropped) || 0) + Math.max(0, all.length - MAX_LOG_LINES);
    this.addLog(...all.slice(-MAX_LOG_LINES).map(String));
  }

  /**
   * Keeps a placeholder, within what the placeholders may hold together. The worker checks this too (a
   * clear error in the program); this is for a program that posts messages itself.
   */
  keep(name: string, value: unknown): void {
    const room = MAX_PLACEHOLDER_CHARS - this.used() + (this.sizes.get(name) ?? 0);
    try {
      const plain = toPlainWithin(value, room);
      this.placeholders.set(name, plain.value);
      this.sizes.set(name, plain.size);
      this.refused.delete(name);
    } catch (err) {
      if (!(err instanceof TooLargeError)) throw err;
      this.refuse(name, placeholderTooLarge(name, err));
    }
  }

  /** A placeholder left out for its size, and why (told in the log, and to whoever asks for it). */
  refuse(name: string, why: string): void {
    this.placeholders.delete(name);
    this.sizes.delete(name);
    this.refused.set(name, why);
    this.addLog(why);
  }

  /** A placeholder's value; `too_large` for one left out, `not_found` naming the ones there are. */
  placeholder(name: string, session: number, running: boolean): unknown {
    const refused = this.refused.get(name);
    if (refused !== undefined) throw new CallError('too_large', refused);
    if (!this.placeholders.has(name)) {
      const known = [...this.placeholders.keys()].join(', ') || 'none';
      const still = running ? '; the program is still running, and its exports are read when it finishes' : '';
      throw new CallError('not_found', `session ${session} has no placeholder "${name}" (placeholders: ${known}${still})`);
    }
    return this.placeholders.get(name);
  }

  private used(): number {
    let total = 0;
    for (const size of this.sizes.values()) total += size;
    return total;
  }
}
