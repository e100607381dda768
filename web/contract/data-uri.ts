// Data URIs, as images and audio travel in JSON protocols, decoded once for both sides.

// Both sides can decode base64 natively (Node's Buffer, a browser's Uint8Array.fromBase64 or atob);
// this module is typed without DOM or Node types, so it names the little it uses.
interface Base64Natives {
  Buffer?: { from(text: string, encoding: 'base64'): Uint8Array };
  atob?(text: string): string;
}
const natives = globalThis as unknown as Base64Natives;
const fromBase64 = (Uint8Array as unknown as { fromBase64?: (text: string) => Uint8Array }).fromBase64;

// Whitespace is taken out first: a pattern that allowed it between the characters and after the
// padding backtracked quadratically on a long run of spaces.
const WHITESPACE = /\s+/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A data URI (`data:image/png;base64,…`) → its bytes; with `bare`, plain base64 too. Undefined when the
 * text is neither (then it is some other value: text, or a malformed image the caller reports).
 */
export function decodeDataUri(text: string, options: { bare?: boolean } = {}): Uint8Array | undefined {
  let payload: string;
  if (text.startsWith('data:')) {
    const comma = text.indexOf(',');
    if (comma < 0 || !text.slice(0, comma).endsWith(';base64')) return undefined;
    payload = text.slice(comma + 1);
  } else if (options.bare) payload = text;
  else return undefined;
  payload = payload.replace(WHITESPACE, '');
  if (payload.length === 0 || !BASE64.test(payload)) return undefined;
  return decodeBase64(payload);
}

function decodeBase64(base64: string): Uint8Array {
  if (natives.Buffer) return natives.Buffer.from(base64, 'base64');
  // fromBase64 wants padding; Buffer and atob do not.
  if (fromBase64 && base64.length % 4 === 0) return fromBase64(base64);
  const binary = natives.atob!(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
