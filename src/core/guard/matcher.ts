import { AhoCorasick } from '@monyone/aho-corasick/fast';
import type { EncodedForm, LeakForm } from './forms.js';

/**
 * Multi-pattern search over every form of every guarded value at once: one Aho–Corasick automaton
 * (@monyone/aho-corasick, its double-array variant; chosen over modern-ahocorasick, whose grapheme-cluster units
 * cost 3–1000× more per scan here, see bench/RESULTS.md "Leak guard") instead of one regex per value per message.
 */

/** One occurrence of a guarded value in a scanned text. */
export interface LeakHit {
  /** UTF-16 offsets in the scanned string, `end` exclusive (byte offsets for byte strings). */
  start: number;
  end: number;
  /** The variable whose value was found. */
  envVar: string;
  form: LeakForm;
}

/** A pattern with its owner. */
export interface GuardPattern extends EncodedForm {
  envVar: string;
}

/**
 * A compiled set of patterns. Immutable; build a new one when the values change (rotation).
 */
export class LeakMatcher {
  private readonly automaton: AhoCorasick | undefined;
  private readonly owners = new Map<string, { envVar: string; form: LeakForm }>();
  /** Longest pattern, in string units. */
  readonly longest: number;

  /** @param patterns the forms to find; the first owner of a pattern text wins (two variables may share a value) */
  constructor(patterns: readonly GuardPattern[]) {
    for (const p of patterns) if (p.pattern.length > 0 && !this.owners.has(p.pattern)) this.owners.set(p.pattern, { envVar: p.envVar, form: p.form });
    this.longest = Math.max(0, ...[...this.owners.keys()].map((k) => k.length));
    this.automaton = this.owners.size > 0 ? new AhoCorasick([...this.owners.keys()]) : undefined;
  }

  /** True when nothing is guarded. */
  get empty(): boolean {
    return this.automaton === undefined;
  }

  /** True when `text` contains any pattern. */
  test(text: string): boolean {
    return this.automaton !== undefined && text.length > 0 && this.automaton.hasKeywordInText(text);
  }

  /**
   * The non-overlapping occurrences in `text`, leftmost first; where occurrences overlap they are merged into one
   * hit (named after the leftmost-longest), so a redaction never leaves part of a value in clear.
   */
  find(text: string): LeakHit[] {
    if (this.automaton === undefined || text.length === 0) return [];
    const raw = this.automaton.matchInText(text);
    if (raw.length === 0) return [];
    raw.sort((a, b) => a.begin - b.begin || b.end - a.end);
    const hits: LeakHit[] = [];
    for (const m of raw) {
      const last = hits[hits.length - 1];
      if (last && m.begin < last.end) {
        if (m.end > last.end) last.end = m.end;
        continue;
      }
      const owner = this.owners.get(m.keyword)!;
      hits.push({ start: m.begin, end: m.end, envVar: owner.envVar, form: owner.form });
    }
    return hits;
  }

  /**
   * `text` with each hit replaced by `label(hit)`.
   * @returns the new text and the hits (empty when nothing was found; `text` is then returned as is)
   */
  redact(text: string, label: (hit: LeakHit) => string): { text: string; hits: LeakHit[] } {
    const hits = this.find(text);
    if (hits.length === 0) return { text, hits };
    let out = '';
    let at = 0;
    for (const h of hits) {
      out += text.slice(at, h.start) + label(h);
      at = h.end;
    }
    return { text: out + text.slice(at), hits };
  }
}

/** The replacement text for a value of `envVar`: `[REDACTED:ENV_NAME]`. */
export function redactionLabel(envVar: string): string {
  return `[REDACTED:${envVar}]`;
}
