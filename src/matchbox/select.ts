/**
 * Matchbox's group selection: a group matches when every selector pair equals the request
 * label (a missing label reads as "", as a Go map does); among matches the group with the
 * most pairs wins, ties going to the greater sorted `k=v,k=v` string.
 */
import { compareGoStrings } from './gofmt.js';

export interface Selectable {
  selector: Record<string, string>;
}

/** Sorted `k=v` pairs joined by commas: Matchbox's tie-break key and identity of a selector. */
export function selectorString(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .sort(compareGoStrings)
    .join(',');
}

/** Matchbox's precedence: more pairs first, then the greater selector string first. */
export function comparePrecedence(a: Selectable, b: Selectable): number {
  const na = Object.keys(a.selector).length;
  const nb = Object.keys(b.selector).length;
  if (na !== nb) return nb - na;
  return compareGoStrings(selectorString(b.selector), selectorString(a.selector));
}

export function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const key in selector) if ((labels[key] ?? '') !== selector[key]) return false;
  return true;
}

/**
 * Selection over a fixed set of groups, indexed so a request costs a few map look-ups instead of
 * a scan: each group is filed under one of its non-empty pairs (it can only match requests
 * carrying that pair); groups with no such pair are checked for every request.
 */
export class GroupIndex<G extends Selectable> {
  private readonly ranked: G[];
  private readonly rank = new Map<G, number>();
  private readonly byPair = new Map<string, G[]>();
  private readonly always: G[] = [];

  constructor(groups: Iterable<G>) {
    this.ranked = [...groups].sort(comparePrecedence);
    this.ranked.forEach((g, i) => {
      this.rank.set(g, i);
      const pivot = Object.entries(g.selector).find(([, v]) => v !== '');
      if (!pivot) {
        this.always.push(g);
        return;
      }
      const key = pairKey(pivot[0], pivot[1]);
      const bucket = this.byPair.get(key);
      if (bucket) bucket.push(g);
      else this.byPair.set(key, [g]);
    });
  }

  /** Groups in precedence order (best first). */
  all(): readonly G[] {
    return this.ranked;
  }

  select(labels: Record<string, string>): G | undefined {
    let best: G | undefined;
    let bestRank = Infinity;
    const consider = (list: G[] | undefined) => {
      if (!list) return;
      // Buckets are in rank order, so the first match in a bucket is that bucket's best.
      for (const g of list) {
        const r = this.rank.get(g)!;
        if (r >= bestRank) return;
        if (matches(g.selector, labels)) {
          best = g;
          bestRank = r;
          return;
        }
      }
    };
    for (const key in labels) consider(this.byPair.get(pairKey(key, labels[key]!)));
    consider(this.always);
    return best;
  }
}

function pairKey(k: string, v: string): string {
  return `${k}\u0000${v}`;
}
