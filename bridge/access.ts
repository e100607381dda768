// Who may talk to the bridge: the Host header (against DNS rebinding) and the Origin (browser pages),
// with two levels of trust for origins (docs/security.md): querying models, and running programs.
import { isIP } from 'node:net';

export interface AccessOptions {
  /** The interface the bridge listens on; a named host is accepted in Host headers too. */
  host: string;
  /** Extra browser origins that may query models and read outputs (exact, e.g. "https://editor.p5js.org"), or "*". */
  allowOrigins: string[];
  /** Extra browser origins that may also run programs and read data files (the runtime WebSocket), or "*". */
  allowProgramOrigins?: string[];
}

export interface Access {
  hostAllowed(host: string | undefined): boolean;
  /** Origins of browser pages that may query models; a request without Origin is no browser page and passes. */
  originAllowed(origin: string | undefined): boolean;
  /**
   * Origins of browser pages that may run programs in the page and have the bridge read its data files
   * (the runtime WebSocket): localhost and --allow-program-origin only, never --allow-origin alone.
   */
  programOriginAllowed(origin: string | undefined): boolean;
}

/** Why a browser page's origin is refused, naming the flag that lets it in (answers a page can read). */
export function originRefusal(origin: string): string {
  // "null": a file:// page or a sandboxed frame; allowing it would let in every such page.
  if (origin === 'null') return 'Origin "null" is not allowed (a page opened as file://, or a sandboxed frame): serve the page from localhost over http instead, or start the bridge with --allow-origin null to let every such page in';
  return `Origin "${origin}" is not allowed: start the bridge with --allow-origin ${origin} to let that page in`;
}

export function isLoopbackName(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function hostnameOf(hostHeader: string): string {
  // "[::1]:8000" → "::1"; "localhost:8000" → "localhost"
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']'));
  const colon = hostHeader.lastIndexOf(':');
  return colon >= 0 ? hostHeader.slice(0, colon) : hostHeader;
}

/**
 * True when a browser page's `origin` is the very address its request was sent to (`host`, the Host
 * header): the bridge's own page, opened at the bridge's address on the network from another machine
 * (`--host 0.0.0.0`). Same-origin, so no allow list is needed; the Host check (IP literals, localhost
 * and --host only) keeps a rebinding name from passing as one.
 */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined || host === undefined) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

/** Exact origins (or "*") plus every localhost page. */
function originList(allowed: string[]): (origin: string | undefined) => boolean {
  const allowAll = allowed.includes('*');
  const origins = new Set(allowed.map((o) => o.replace(/\/$/, '').toLowerCase()));
  return (origin) => {
    if (origin === undefined) return true;
    if (allowAll) return true;
    if (origins.has(origin.toLowerCase())) return true;
    try {
      const url = new URL(origin);
      return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackName(url.hostname);
    } catch {
      return false; // "null" (sandboxed frames, file://) and anything unparsable
    }
  };
}

export function createAccess(options: AccessOptions): Access {
  const programs = options.allowProgramOrigins ?? [];
  // Who may run programs may query models too (the runtime WebSocket's run_model does).
  const queryOrigin = originList([...options.allowOrigins, ...programs]);
  const programOrigin = originList(programs);
  return {
    hostAllowed(host) {
      if (host === undefined) return true; // no browser omits Host, so no rebinding page can
      const name = hostnameOf(host).toLowerCase();
      // A DNS name that is not localhost may be an attacker's name rebound to 127.0.0.1.
      return isLoopbackName(name) || isIP(name) !== 0 || name === options.host.toLowerCase();
    },
    originAllowed: queryOrigin,
    programOriginAllowed: programOrigin,
  };
}
