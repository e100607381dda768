// Seeded fuzzing: random and mutated messages, reproducible from the seed printed with each run.

/** mulberry32: a small, fast, seedable PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Fuzzer {
  readonly random: () => number;
  constructor(readonly seed: number) { this.random = rng(seed); }

  int(max: number): number { return Math.floor(this.random() * max); }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]!; }

  bytes(max: number): Buffer {
    const b = Buffer.alloc(this.int(max + 1));
    for (let i = 0; i < b.length; i++) b[i] = this.int(256);
    return b;
  }

  /** A byte-level mutation of `input`: flips, truncation, insertion, duplication or splicing. */
  mutateBytes(input: Buffer): Buffer {
    const b = Buffer.from(input);
    switch (this.int(5)) {
      case 0: for (let i = 0, n = 1 + this.int(8); i < n && b.length; i++) { const at = this.int(b.length); b[at] = b[at]! ^ (1 << this.int(8)); } return b;
      case 1: return b.subarray(0, this.int(b.length + 1));
      case 2: { const at = this.int(b.length + 1); return Buffer.concat([b.subarray(0, at), this.bytes(16), b.subarray(at)]); }
      case 3: return Buffer.concat([b, b.subarray(this.int(b.length + 1))]);
      default: return Buffer.concat([b.subarray(0, this.int(b.length + 1)), this.bytes(32)]);
    }
  }

  /** A value of a random JSON type, sometimes nested, sometimes large. */
  value(depth = 0): unknown {
    switch (this.int(depth > 2 ? 6 : 9)) {
      case 0: return null;
      case 1: return this.random() < 0.5;
      case 2: return this.pick([0, -1, 1e308, -1e-308, 3.5, 2 ** 53, NaN]);
      case 3: return this.pick(['', 'x', 'data:image/png;base64,', 'data:image/jpeg;base64,/9j/', '../../etc/passwd', '\u0000', 'é'.repeat(100)]);
      case 4: return this.bytes(40).toString('base64');
      case 5: return 'A'.repeat(this.int(5000));
      case 6: return Array.from({ length: this.int(5) }, () => this.value(depth + 1));
      case 7: return Object.fromEntries(Array.from({ length: this.int(5) }, () => [this.pick(['image', 'action', 'id', '__proto__', 'constructor', 'x', 'sessionId', 'model']), this.value(depth + 1)]));
      default: return { image: this.value(depth + 1) };
    }
  }

  /** A structural mutation of a JSON object: a field dropped, retyped or added. */
  mutateJson(obj: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = structuredClone(obj);
    const keys = Object.keys(out);
    switch (this.int(4)) {
      case 0: if (keys.length) delete out[this.pick(keys)]; return out;
      case 1: if (keys.length) out[this.pick(keys)] = this.value(); return out;
      case 2: out[this.pick(['extra', '__proto__', 'constructor', 'action', 'id'])] = this.value(); return out;
      default: {
        const k = keys.length ? this.pick(keys) : 'x';
        if (out[k] && typeof out[k] === 'object' && !Array.isArray(out[k])) out[k] = this.mutateJson(out[k] as Record<string, unknown>);
        else out[k] = this.value();
        return out;
      }
    }
  }
}

/** The seed for this run: FUZZ_SEED when set (to replay one), else fresh; printed by the caller. */
export const fuzzSeed = (): number => Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

/**
 * How many rounds each fuzz test runs: FUZZ_ROUNDS when set, else `fallback`. Anything but a positive
 * integer is refused: a loop bounded by NaN would silently run no rounds at all.
 */
export function fuzzRounds(fallback: number): number {
  const given = process.env.FUZZ_ROUNDS;
  const rounds = given === undefined || given === '' ? fallback : Number(given);
  if (!Number.isInteger(rounds) || rounds <= 0) throw new Error(`FUZZ_ROUNDS must be a positive integer, not ${JSON.stringify(given)}`);
  return rounds;
}
