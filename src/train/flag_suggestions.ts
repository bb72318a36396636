/**
 * "did you mean --steps?" for a misspelt flag: the known flag nearest by edit distance (a typo or
 * two), or the one the given text is a prefix of.
 */

/** Levenshtein distance between a and b. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length];
}

/** The known flag `given` most likely meant (without dashes), or null when none is close. */
export function nearestFlag(given: string, known: readonly string[]): string | null {
  const g = given.replace(/^-+/, '').split('=')[0].toLowerCase();
  if (g === '') return null;
  const prefixed = known.filter((k) => k.startsWith(g));
  if (prefixed.length === 1) return prefixed[0];
  const limit = Math.max(1, Math.min(2, Math.floor(g.length / 3))); // a typo or two, fewer for short names
  let best: string | null = null;
  let bestD = limit + 1;
  for (const k of known) {
    const d = editDistance(g, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/** util.parseArgs's message, with a suggestion when it names an unknown option. */
export function unknownFlagMessage(message: string, known: readonly string[]): string {
  const m = /^Unknown option '([^']+)'/.exec(message);
  if (m === null) return message;
  const near = nearestFlag(m[1], known);
  return `${m[1]}: expected one of the flags in --help, got an unknown option${near === null ? '' : `; did you mean --${near}?`}`;
}
