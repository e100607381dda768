// Bounded waits for tests: poll a condition, or collect what arrives, and fail loudly naming what never came.

type Falsy = undefined | null | false | 0 | '';

/** Waits until `check` returns a truthy value (polling), or fails after `ms` naming `what`. */
export async function until<T>(check: () => T | Promise<T>, ms = 20_000, what = 'condition'): Promise<Exclude<T, Falsy>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as Exclude<T, Falsy>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until `items` holds at least `count` entries; fails naming how many came of how many expected. */
export async function untilCount(items: { length: number }, count: number, ms: number, what: string): Promise<void> {
  await until(() => items.length >= count, ms, `${count} ${what} (got ${items.length})`).catch(() => {
    throw new Error(`only ${items.length} of ${count} ${what} arrived within ${ms} ms`);
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
