/**
 * Statistics of the Spark listener overhead benchmark (run.ts): per-round ratios to the `none`
 * arm, a 95% t interval on their logarithms (so the interval is for the geometric mean ratio
 * and is symmetric in "x times slower / x times faster"), and a paired comparison of two arms
 * over the rounds where both ran (again on log ratios, two-sided p value from Student's t).
 */

export const median = (xs: number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** ln Γ(x), Lanczos approximation (x > 0). */
function lnGamma(x: number): number {
  const g = [676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = 0.99999999999980993;
  const t = x + 7.5;
  for (let i = 0; i < 8; i++) a += g[i] / (x + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (Numerical Recipes' betacf). */
function betaCf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
function betaInc(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const bt = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (bt * betaCf(a, b, x)) / a : 1 - (bt * betaCf(b, a, 1 - x)) / b;
}

/** P(T <= t) for Student's t with df degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const tail = 0.5 * betaInc(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p quantile of Student's t (bisection on tCdf; p in (0, 1)). */
export function tQuantile(p: number, df: number): number {
  let lo = -1e4;
  let hi = 1e4;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface RatioStats {
  /** Rounds that count (both runs succeeded). */
  n: number;
  median: number;
  /** exp(mean of ln ratio). */
  geoMean: number;
  /** 95% t interval of the geometric mean ratio (undefined with fewer than 2 rounds). */
  lo?: number;
  hi?: number;
  /** Two-sided p value of "the geometric mean ratio is 1" (t test on the log ratios). */
  p?: number;
  t?: number;
}

/** Summary of per-round ratios (each > 0): median, geometric mean, 95% t interval on ln(ratio). */
export function ratioStats(ratios: number[], level = 0.95): RatioStats {
  const n = ratios.length;
  if (!n) return { n, median: NaN, geoMean: NaN };
  const logs = ratios.map(Math.log);
  const m = mean(logs);
  const out: RatioStats = { n, median: median(ratios), geoMean: Math.exp(m) };
  if (n < 2) return out;
  const sd = Math.sqrt(logs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1));
  const se = sd / Math.sqrt(n);
  const q = tQuantile(1 - (1 - level) / 2, n - 1);
  out.lo = Math.exp(m - q * se);
  out.hi = Math.exp(m + q * se);
  if (se > 0) {
    out.t = m / se;
    out.p = 2 * (1 - tCdf(Math.abs(out.t), n - 1));
  } else {
    out.t = m === 0 ? 0 : Math.sign(m) * Infinity;
    out.p = m === 0 ? 1 : 0;
  }
  return out;
}

/** Small deterministic PRNG for reproducible random arm orders: the test kit's. */
export { mulberry32 as rng } from '@sparkwire/testkit';

/**
 * A Williams design for k treatments: rows of a Latin square in which every arm is in every
 * position equally often and (for even k; for odd k over the 2k rows with the mirrored ones)
 * every arm directly follows every other arm equally often, so drift and carry-over from the
 * previous run (a broker still flushing, a warm page cache) hit all arms alike.
 */
export function williamsRows(k: number): number[][] {
  const first: number[] = [0];
  for (let i = 1, lo = 1, hi = k - 1; i < k; i++) first.push(i % 2 ? lo++ : hi--);
  const rows = Array.from({ length: k }, (_, r) => first.map((x) => (x + r) % k));
  return k % 2 ? [...rows, ...rows.map((r) => [...r].reverse())] : rows;
}
