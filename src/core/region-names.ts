/** Short region names for profile names: `us-east-1` is `use1`, `ap-southeast-2` is `apse2`. */

// The words of region names and their letters, as AWS's own short names (use1, euw1, apse2) write them.
const directions: Readonly<Record<string, string>> = {
  north: 'n',
  south: 's',
  east: 'e',
  west: 'w',
  central: 'c',
  northeast: 'ne',
  northwest: 'nw',
  southeast: 'se',
  southwest: 'sw',
};

/**
 * A region's short name: its first part, each direction as its letters (other words whole: `us-gov-west-1` is
 * `usgovw1`), then its number. A text that is not shaped like a region is returned as it is.
 */
export function shortRegion(region: string): string {
  const parts = region.split('-');
  if (parts.length < 3) return region;
  const middle = parts.slice(1, -1).map((p) => (Object.hasOwn(directions, p) ? directions[p]! : p));
  return parts[0]! + middle.join('') + parts.at(-1)!;
}

/** A region or a list of them, as a list. */
export function regionList(regions: string | readonly string[]): string[] {
  return typeof regions === 'string' ? [regions] : [...regions];
}
