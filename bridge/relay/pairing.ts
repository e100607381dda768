// Who may be a page (docs/security.md, "Pairing"). Three credentials open the relay:
// - the long-lived token: shown only to the user (the terminal, a 0600 file, PAGEBRIDGE_TOKEN);
// - a one-time pairing code: what goes into a URL that a process list may show (the headless
//   Chromium's start file, the desktop browser that --open starts); refused once used or expired;
// - a session secret: what a page paired by a code gets back over the relay and keeps for its
//   reconnects (an HMAC of the token, so a bridge restarted with the same token still knows it).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Log } from '../log.ts';

/** How long a pairing code may wait for its page (a headless Chromium starting on a busy machine). */
export const CODE_TTL_MS = 120_000;
/** Used and expired codes are remembered this long, so that a late use is named as such in the log. */
const REMEMBER_MS = 10 * 60_000;

export type Credential = 'token' | 'code' | 'secret';

export type PairingCheck =
  | {
    ok: true; via: Credential; /** A session secret to hand the page (it came with a code). */ secret?: string;
    /** The label its code was issued under (a headless page the bridge started), kept in its secret too. */
    label?: string;
  }
  | { ok: false; why: string };

interface Code { expires: number; used: boolean; label?: string }

/** What a label may hold: it travels inside the session secret, between its nonce and the `.`. */
const LABEL = /^[a-z0-9-]{1,32}$/;

export class Pairing {
  private readonly codes = new Map<string, Code>();

  constructor(private readonly token: string, private readonly log: Log, private readonly codeTtlMs = CODE_TTL_MS) {}

  /**
   * A fresh one-time code, good for one pairing within the code's lifetime. `label` names whom it is for
   * (`headless-2`): the page that pairs with it, and with the secret it gets, is known by it.
   */
  issueCode(label?: string): string {
    if (label !== undefined && !LABEL.test(label)) throw new Error(`a pairing code's label is a few letters, digits and dashes, not "${label}"`);
    this.sweep();
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, { expires: Date.now() + this.codeTtlMs, used: false, ...(label !== undefined && { label }) });
    return code;
  }

  /** Checks the credential a relay connection's URL carries (`?token=`, `?code=` or `?secret=`). */
  check(params: URLSearchParams): PairingCheck {
    const token = params.get('token');
    if (token !== null) return same(token, this.token) ? { ok: true, via: 'token' } : { ok: false, why: 'Wrong or missing pairing token' };
    const secret = params.get('secret');
    if (secret !== null) {
      if (!this.secretValid(secret)) return { ok: false, why: 'Wrong session secret' };
      const label = labelOf(secret.split('.')[0]!);
      return { ok: true, via: 'secret', ...(label !== undefined && { label }) };
    }
    const code = params.get('code');
    if (code !== null) return this.useCode(code);
    return { ok: false, why: 'Wrong or missing pairing token' };
  }

  private useCode(code: string): PairingCheck {
    const entry = this.codes.get(code);
    if (!entry) return { ok: false, why: 'Unknown pairing code' };
    if (entry.used) {
      // Only the bridge's own page should ever have seen it: someone else read it from a process list.
      this.log.warn('relay: a pairing code was presented a second time and refused; the page it paired first keeps serving. ' +
        'If that page is not yours, restart the bridge');
      return { ok: false, why: 'Pairing code already used' };
    }
    if (Date.now() > entry.expires) return { ok: false, why: 'Pairing code expired' };
    entry.used = true;
    return { ok: true, via: 'code', secret: this.newSecret(entry.label), ...(entry.label !== undefined && { label: entry.label }) };
  }

  /** `<nonce>.<HMAC of the nonce under the token>`, both base64url; the nonce ends in `~<label>` when
   *  the code had one (the MAC covers it: nobody without the token can claim a label). */
  private newSecret(label?: string): string {
    const nonce = `${randomBytes(16).toString('base64url')}${label !== undefined ? `~${label}` : ''}`;
    return `${nonce}.${this.mac(nonce)}`;
  }

  private secretValid(secret: string): boolean {
    const [nonce, mac, ...rest] = secret.split('.');
    return !!nonce && !!mac && rest.length === 0 && same(mac, this.mac(nonce));
  }

  private mac(nonce: string): string {
    return createHmac('sha256', this.token).update(`pagebridge page session ${nonce}`).digest('base64url');
  }

  private sweep(): void {
    const now = Date.now();
    for (const [code, entry] of this.codes) if (now > entry.expires + REMEMBER_MS) this.codes.delete(code);
  }
}

function labelOf(nonce: string): string | undefined {
  const label = nonce.split('~')[1];
  return label !== undefined && LABEL.test(label) ? label : undefined;
}

/** Compares in constant time, so that a wrong guess says nothing about how close it came. */
function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
