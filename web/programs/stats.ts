// Statistics of a placeholder (the runtime WebSocket's `get_stats`), with Simple-ML's names. Pure: no
// DOM, no worker, so the page and the unit tests run the same code.
//
// What counts as data:
//   a number                              shape [],        one column "value"
//   an array of numbers                   shape [n],       one column "value"
//   an array of rows (arrays)             shape [n, k],    columns "0", "1", …
//   an array of objects                   shape [n, k],    columns by key, in first-seen order
//   an object of arrays (column-oriented) shape [n, k],    columns by key
// null, undefined and NaN are null values; anything else that is not a number is an error.

export interface HistogramBucket {
  bucketMinimum: number;
  bucketMaximum: number;
  /** How many values fall in [bucketMinimum, bucketMaximum) (the last bucket includes its maximum). */
  value: number;
}

export interface ColumnStats {
  numberOfValues: number;
  numberOfNullValues: number;
  numberOfDistinctValues: number;
  minimum: number | null;
  maximum: number | null;
  mean: number | null;
  median: number | null;
  /** Population standard deviation (divides by n). */
  standardDeviation: number | null;
  /** The 0 %, 10 %, …, 100 % quantiles (11 values, linear interpolation as numpy's default). */
  deciles: number[];
  /** min(10, distinct values) equal-width buckets from the minimum to the maximum. */
  histogram: HistogramBucket[];
}

export interface Stats {
  shape: number[];
  columns: Record<string, ColumnStats>;
}

/** The data is not something statistics can be computed on; the message says why. */
export class StatsError extends Error {
  override name = 'StatsError';
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNull = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

function describe(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `the ${typeof v} ${String(v)}`;
}

/** Statistics of `value` (see the top of this file for the shapes it takes). */
export function statistics(value: unknown): Stats {
  if (typeof value === 'number') return { shape: [], columns: { value: columnStats('value', [value]) } };
  if (Array.isArray(value)) return tableStats(value);
  if (isPlainObject(value)) {
    const entries = Object.entries(value);
    if (entries.length > 0 && entries.every(([, v]) => Array.isArray(v))) {
      let n = 0;
      for (const [, v] of entries) n = Math.max(n, (v as unknown[]).length);
      const columns: Record<string, ColumnStats> = {};
      for (const [name, v] of entries) {
        const cells = v as unknown[];
        columns[name] = columnStats(name, Array.from({ length: n }, (_, i) => cells[i]));
      }
      return { shape: [n, entries.length], columns };
    }
    throw new StatsError('statistics need numbers, an array or a table; this is an object that is not a table (an object of arrays, one per column)');
  }
  throw new StatsError(`statistics need numbers, an array or a table; this is ${describe(value)}`);
}

function tableStats(rows: unknown[]): Stats {
  const present = rows.filter((r) => !isNull(r));
  if (present.every((r) => typeof r === 'number')) {
    return { shape: [rows.length], columns: { value: columnStats('value', rows) } };
  }
  if (present.every(Array.isArray)) {
    let width = 0;
    for (const r of present) width = Math.max(width, (r as unknown[]).length);
    const columns: Record<string, ColumnStats> = {};
    for (let c = 0; c < width; c++) {
      columns[String(c)] = columnStats(String(c), rows.map((r) => (Array.isArray(r) ? r[c] : null)));
    }
    return { shape: [rows.length, width], columns };
  }
  if (present.every(isPlainObject)) {
    const names: string[] = [];
    const seen = new Set<string>();
    for (const r of present) for (const k of Object.keys(r as object)) if (!seen.has(k)) { seen.add(k); names.push(k); }
    const columns: Record<string, ColumnStats> = {};
    for (const name of names) columns[name] = columnStats(name, rows.map((r) => (isPlainObject(r) ? r[name] : null)));
    return { shape: [rows.length, names.length], columns };
  }
  const bad = present.findIndex((r) => typeof r !== 'number' && !Array.isArray(r) && !isPlainObject(r));
  if (bad >= 0) throw new StatsError(`statistics need numbers, rows or objects; item ${rows.indexOf(present[bad])} is ${describe(present[bad])}`);
  throw new StatsError('statistics need one kind of item: this array mixes numbers, rows (arrays) and objects');
}

/** Statistics of one column; `cells` may hold nulls. */
export function columnStats(name: string, cells: unknown[]): ColumnStats {
  const values: number[] = [];
  let nulls = 0;
  cells.forEach((v, i) => {
    if (isNull(v)) nulls++;
    else if (typeof v === 'number') values.push(v);
    else throw new StatsError(`column "${name}" is not numeric: row ${i} holds ${describe(v)}`);
  });
  const sorted = values.slice().sort((a, b) => a - b);
  const n = sorted.length;
  const distinct = new Set(sorted).size;
  if (n === 0) {
    return {
      numberOfValues: cells.length, numberOfNullValues: nulls, numberOfDistinctValues: 0,
      minimum: null, maximum: null, mean: null, median: null, standardDeviation: null, deciles: [], histogram: [],
    };
  }
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sum / n;
  let squares = 0;
  for (const v of sorted) squares += (v - mean) ** 2; // two passes: no cancellation in sum(x²) − n·mean²
  return {
    numberOfValues: cells.length,
    numberOfNullValues: nulls,
    numberOfDistinctValues: distinct,
    minimum: sorted[0]!,
    maximum: sorted[n - 1]!,
    mean,
    median: quantile(sorted, 0.5),
    standardDeviation: Math.sqrt(squares / n),
    deciles: Array.from({ length: 11 }, (_, i) => quantile(sorted, i / 10)),
    histogram: histogram(sorted, Math.min(10, distinct)),
  };
}

/** The q-quantile of sorted values, interpolating linearly between neighbours (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function histogram(sorted: readonly number[], bins: number): HistogramBucket[] {
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  if (bins <= 1 || min === max) return [{ bucketMinimum: min, bucketMaximum: max, value: sorted.length }];
  const width = (max - min) / bins;
  const buckets = Array.from({ length: bins }, (_, i) => ({
    bucketMinimum: min + i * width,
    bucketMaximum: i === bins - 1 ? max : min + (i + 1) * width,
    value: 0,
  }));
  for (const v of sorted) buckets[Math.min(bins - 1, Math.floor((v - min) / width))]!.value++;
  return buckets;
}
