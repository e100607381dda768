// What every benchmark section shares with the root (bench/run.ts), passed in rather than kept in
// module state, so that each section reads as a function of its inputs.

/** One run of `npm run bench`: how long to measure, and where figures and tables go. */
export interface BenchRun {
  /** `--quick`: shorter runs (a smoke check of the benchmark itself). */
  quick: boolean;
  /** How long each load test lasts. */
  seconds: number;
  /** Written to bench/results/<time>.json; each section sets its own key. */
  results: Record<string, unknown>;
  /** Prints a line and keeps it for bench/results/latest.md. */
  say(line: string): void;
}
