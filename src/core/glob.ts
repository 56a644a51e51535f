/** Case-insensitive globs for exclude and region rules: `*` any run, `?` one character. */

/** Compiles a glob into a predicate; every other character is literal. */
export function globMatcher(glob: string): (text: string) => boolean {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  const re = new RegExp(`^${source}$`, 'is');
  return (text) => re.test(text);
}

/** True when any of the globs matches any of the texts. */
export function matchesAny(globs: readonly string[], ...texts: string[]): boolean {
  return globs.some((g) => {
    const m = globMatcher(g);
    return texts.some((t) => m(t));
  });
}
