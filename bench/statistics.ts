/** Order statistics over a list of samples (milliseconds unless the caller says otherwise). */
export interface Summary {
  n: number;
  median: number;
  p99: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile: with few samples p99 is simply the largest, never an interpolation. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** A duration with a unit that keeps 2–3 significant digits (µs below a millisecond). */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  if (ms < 1) return `${(ms * 1000).toFixed(ms < 0.01 ? 1 : 0)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** "median (min–max)" — the form every side-by-side figure in the table uses. */
export function formatSpread(s: Summary, format: (v: number) => string = formatMs): string {
  return `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
}

export const round = (v: number, digits = 3): number =>
  Number.isFinite(v) ? Number(v.toFixed(digits)) : v;

export function roundSummary(s: Summary, digits = 3): Summary {
  return {
    n: s.n,
    median: round(s.median, digits),
    p99: round(s.p99, digits),
    min: round(s.min, digits),
    max: round(s.max, digits),
  };
}
