/**
 * A sampling pre-screen in front of the Aho–Corasick matcher, for the common case of a message that carries no
 * guarded value: instead of feeding every byte through the automaton, it reads one 4-byte q-gram every
 * `stride = L − 4 + 1` bytes (L = the shortest pattern) and looks it up in the set of q-grams that start a pattern
 * at offsets 0…L−4. Every occurrence of a pattern covers L−4+1 consecutive q-gram positions, so one of the sampled
 * ones lies in it and is found in the set (the sampling argument of Wu–Manber style multi-pattern search). Only the
 * windows around such sampled hits go to the automaton, which decides. No false negatives; false positives only
 * cost a small automaton run.
 */
const Q = 4;

export class SampledScreen {
  private readonly grams = new Set<number>();
  /** Sampling distance, bytes (0: screen disabled, scan everything). */
  readonly stride: number;
  private readonly back: number;
  private readonly longest: number;

  /**
   * @param patterns byte strings (latin1: one char per byte), each non-empty
   */
  constructor(patterns: readonly string[]) {
    const shortest = patterns.length > 0 ? Math.min(...patterns.map((p) => p.length)) : 0;
    this.longest = patterns.length > 0 ? Math.max(...patterns.map((p) => p.length)) : 0;
    if (shortest < Q) {
      this.stride = 0;
      this.back = 0;
      return;
    }
    this.back = shortest - Q;
    this.stride = shortest - Q + 1;
    for (const p of patterns) {
      for (let o = 0; o <= this.back; o++) {
        this.grams.add((p.charCodeAt(o) | (p.charCodeAt(o + 1) << 8) | (p.charCodeAt(o + 2) << 16) | (p.charCodeAt(o + 3) << 24)) >>> 0);
      }
    }
  }

  /**
   * The byte ranges of `data` that may hold a pattern, merged and in order ([start, end), end exclusive); the
   * whole buffer when the screen is disabled; empty when no pattern can be in `data`.
   */
  windows(data: Uint8Array): Array<[number, number]> {
    if (this.stride === 0) return data.length > 0 ? [[0, data.length]] : [];
    const out: Array<[number, number]> = [];
    const last = data.length - Q;
    for (let i = 0; i <= last; i += this.stride) {
      const g = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
      if (!this.grams.has(g)) continue;
      const start = Math.max(0, i - this.back);
      const end = Math.min(data.length, i + this.longest);
      const prev = out[out.length - 1];
      if (prev && start <= prev[1]) prev[1] = Math.max(prev[1], end);
      else out.push([start, end]);
    }
    return out;
  }
}
