// A frame of another site that a document talks to over a MessagePort (comlink), watched by a
// heartbeat: the page's link to the program host (frames.ts), and the program host's link to the
// frame its program workers run in (host.ts). Site isolation gives such a frame a renderer process of
// its own; when that process dies (a program exhausted its memory) nothing tells the embedder, so a
// ping unanswered for DEAD_AFTER_MS means it is gone: the frame is removed and every call it held fails.
import * as Comlink from 'comlink';
import { CallError } from './messages.ts';

const PING_EVERY_MS = 500;
export const DEAD_AFTER_MS = 5000;
/** How long a new frame may take to load and answer its first ping. */
const START_WITHIN_MS = 20_000;

/**
 * The workers' frame address: this document, from `workers.localhost` when served on a loopback name
 * (another site than both the page and this frame), else from this origin (where it shares this process).
 */
export function workersUrl(here: string): string {
  const url = new URL(here);
  url.search = '?workers';
  url.hash = '';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)) url.hostname = 'workers.localhost';
  return url.href;
}

export interface LinkOptions<T> {
  /** The iframe's title (what it holds). */
  title: string;
  /** The message that hands the frame its port (it checks it). */
  hello: string;
  /** What to do first with the frame's remote, before it counts as ready. */
  start(remote: Comlink.Remote<T>): Promise<unknown>;
  /** Why, when it stops answering. */
  silence: string;
  died(why: string): void;
}

export class FrameLink<T extends { ping(): true }> {
  private readonly element: HTMLIFrameElement;
  private readonly remote: Comlink.Remote<T>;
  private readonly channel = new MessageChannel();
  private readonly waiting = new Set<(err: Error) => void>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private pingSentAt: number | undefined;
  /** A message to itself, to judge a silence only after every message already queued (see beat). */
  private readonly verdict = new MessageChannel();
  /** Why the frame is gone; undefined while it lives. */
  dead: string | undefined;
  /** Resolves once the frame has started and answered its first ping. */
  readonly ready: Promise<void>;

  constructor(url: string, private readonly options: LinkOptions<T>) {
    this.element = document.createElement('iframe');
    this.element.src = url;
    this.element.hidden = true;
    this.element.title = options.title;
    // Cross-origin isolated like the page: a Python program's interrupt buffer is a SharedArrayBuffer
    // (web/programs/python/pool.ts), which only an isolated document (and its workers) may make.
    this.element.allow = 'cross-origin-isolated';
    this.remote = Comlink.wrap<T>(this.channel.port1);
    this.verdict.port1.onmessage = () => {
      if (this.pingSentAt !== undefined && performance.now() - this.pingSentAt > DEAD_AFTER_MS) this.kill(options.silence);
    };
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(this.kill(`the ${options.title} frame (${url}) did not start within ${START_WITHIN_MS / 1000} s`)), START_WITHIN_MS);
      this.element.addEventListener('load', () => {
        this.element.contentWindow?.postMessage(options.hello, new URL(url).origin, [this.channel.port2]);
        void this.track(options.start(this.remote)).then(() => this.track(Promise.resolve(this.remote.ping()))).then(() => {
          clearTimeout(timer);
          this.heartbeat = setInterval(() => this.beat(), PING_EVERY_MS);
          resolve();
        }, (err: Error) => { clearTimeout(timer); reject(err); });
      }, { once: true });
    });
    this.ready.catch(() => {}); // seen by whoever awaits it
    document.body.append(this.element);
  }

  /** A call into the frame once it is ready; fails at once when the frame dies. */
  async call<R>(use: (remote: Comlink.Remote<T>) => Promise<R>): Promise<R> {
    await this.ready;
    return this.track(use(this.remote));
  }

  /** Ends the frame (its process goes with it, if it still runs) and fails every call it held. */
  kill(why: string): CallError {
    const err = new CallError('unavailable', why);
    if (this.dead) return err;
    this.dead = why;
    clearInterval(this.heartbeat);
    this.element.remove();
    this.channel.port1.close();
    this.verdict.port1.close();
    for (const reject of this.waiting) reject(err);
    this.waiting.clear();
    this.options.died(why);
    return err;
  }

  /** One heartbeat: a ping out, unless the last one is still unanswered (then, past the limit, the frame is dead). */
  private beat(): void {
    // A page whose timers the browser slows down only notices later; an answered ping always counts.
    // When the page itself stalled, the answer may be queued behind this timer: the verdict waits for a
    // message posted now, which comes after every message already queued, the answer included.
    if (this.pingSentAt !== undefined) {
      if (performance.now() - this.pingSentAt > DEAD_AFTER_MS) this.verdict.port2.postMessage(null);
      return;
    }
    this.pingSentAt = performance.now();
    void this.track(Promise.resolve(this.remote.ping())).then(() => { this.pingSentAt = undefined; }, () => {});
  }

  private track<R>(p: Promise<R>): Promise<R> {
    if (this.dead) return Promise.reject(new CallError('unavailable', this.dead));
    return new Promise<R>((resolve, reject) => {
      this.waiting.add(reject);
      p.then(resolve, reject).finally(() => this.waiting.delete(reject));
    });
  }
}
