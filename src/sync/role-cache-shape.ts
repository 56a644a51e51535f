/**
 * The shape of a role cache file (`roles/<session>.json`), checked by hand rather than by a zod schema: `status`
 * reads these files, and loading zod would cost it more start-up time than all the rest of its work. The refusals
 * and their words are the zod schema's that this replaces (the test compares them with it): the first problem, in
 * the order zod met them (an object's keys in the order below, then its unknown keys; a record's entries in the
 * file's order, a bad key before its value; array items in order), with zod's message.
 */

/** One account's entry, as the file holds it. */
export interface RoleCacheFileAccount {
  roles: string[];
  unusable?: { accountId?: string; roleName?: string; problem: string }[];
  listedAt: string;
}

/** A role cache file's content, checked. */
export interface RoleCacheFile {
  format: 1;
  session: string;
  startUrl: string;
  fullScanAt: string;
  accounts: Record<string, RoleCacheFileAccount>;
}

/** The first thing wrong: where (`accounts.123.roles.0`, or empty at the top level) and zod's words for it. */
export interface ShapeProblem {
  where: string;
  message: string;
}

type Path = readonly (string | number)[];
type Check = (value: unknown, path: Path) => ShapeProblem | undefined;

const problem = (path: Path, message: string): ShapeProblem => ({ where: path.join('.'), message });

/** The name zod gives a JSON value's type in `received …`. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const wrongType = (expected: string, value: unknown, path: Path) =>
  problem(path, `Invalid input: expected ${expected}, received ${typeName(value)}`);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const string: Check = (value, path) => (typeof value === 'string' ? undefined : wrongType('string', value, path));

const nonEmptyString: Check = (value, path) =>
  string(value, path) ??
  (value === '' ? problem(path, 'Too small: expected string to have >=1 characters') : undefined);

/**
 * An ISO 8601 time in UTC as zod's `z.iso.datetime()` accepts it: a real calendar date (29 February in leap years
 * only), hours and minutes, seconds with any fraction, and `Z`. Its own pattern, copied.
 */
const isoTimePattern = new RegExp(
  '^(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:' +
    '(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))' +
    'T(?:(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:Z))$',
);

const isoTime: Check = (value, path) =>
  string(value, path) ?? (isoTimePattern.test(value as string) ? undefined : problem(path, 'Invalid ISO datetime'));

const optional =
  (check: Check): Check =>
  (value, path) =>
    value === undefined ? undefined : check(value, path);

const array =
  (item: Check): Check =>
  (value, path) => {
    if (!Array.isArray(value)) return wrongType('array', value, path);
    for (let i = 0; i < value.length; i++) {
      const found = item(value[i], [...path, i]);
      if (found) return found;
    }
    return undefined;
  };

/** An object with exactly these keys (those not required are checked as `optional`). */
const strictObject =
  (shape: Record<string, Check>): Check =>
  (value, path) => {
    if (!isObject(value)) return wrongType('object', value, path);
    for (const [key, check] of Object.entries(shape)) {
      const found = check(Object.hasOwn(value, key) ? value[key] : undefined, [...path, key]);
      if (found) return found;
    }
    const unknown = Object.keys(value).filter((key) => !Object.hasOwn(shape, key));
    if (unknown.length === 0) return undefined;
    const keys = unknown.map((key) => `"${key}"`).join(', ');
    return problem(path, `Unrecognized key${unknown.length > 1 ? 's' : ''}: ${keys}`);
  };

/** A record: an entry whose key is refused is reported without its value; a `__proto__` entry is passed over. */
const record =
  (key: Check, entry: Check): Check =>
  (value, path) => {
    if (!isObject(value)) return wrongType('record', value, path);
    for (const name of Object.keys(value)) {
      if (name === '__proto__') continue;
      if (key(name, [...path, name])) return problem([...path, name], 'Invalid key in record');
      const found = entry(value[name], [...path, name]);
      if (found) return found;
    }
    return undefined;
  };

const fileShape = strictObject({
  format: (value, path) => (value === 1 ? undefined : problem(path, 'Invalid input: expected 1')),
  session: string,
  startUrl: string,
  fullScanAt: isoTime,
  accounts: record(
    nonEmptyString,
    strictObject({
      roles: array(nonEmptyString),
      unusable: optional(
        array(strictObject({ accountId: optional(string), roleName: optional(string), problem: string })),
      ),
      listedAt: isoTime,
    }),
  ),
});

/**
 * Checks a role cache file's parsed JSON. The content comes back as the schema gave it: its accounts without a
 * `__proto__` entry, the keys of each unusable entry in the order above.
 */
export function checkRoleCacheFile(json: unknown): { file: RoleCacheFile } | { problem: ShapeProblem } {
  const found = fileShape(json, []);
  if (found) return { problem: found };
  const data = json as RoleCacheFile;
  const accounts: Record<string, RoleCacheFileAccount> = {};
  for (const [id, a] of Object.entries(data.accounts)) {
    if (id === '__proto__') continue;
    const unusable = a.unusable?.map((u) => ({
      ...(u.accountId === undefined ? {} : { accountId: u.accountId }),
      ...(u.roleName === undefined ? {} : { roleName: u.roleName }),
      problem: u.problem,
    }));
    accounts[id] = { roles: a.roles, ...(unusable ? { unusable } : {}), listedAt: a.listedAt };
  }
  return { file: { ...data, accounts } };
}
