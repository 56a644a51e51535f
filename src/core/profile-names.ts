/** Where names are computed: assignments + rules -> profiles, with safe, unique, stable names. */
import { createHash } from 'node:crypto';
import { globMatcher } from './glob.js';
import type { Assignment, Profile, ProfileRules, SessionDef } from './types.js';

/** The naming rules that reproduce the seed script when settings say nothing. */
export const defaultRules: ProfileRules = {
  name: '{account}-{role}',
  stripPrefix: [],
  roleAlias: { AdministratorAccess: 'admin', ReadOnlyAccess: '' },
  excludeRoles: [],
  excludeAccounts: [],
  regions: [],
  defaultRegion: undefined,
  set: {},
};

/** Keys sso-sync computes itself; settings may not set them through `set`. */
export const reservedKeys = ['sso_session', 'sso_account_id', 'sso_role_name', 'region'] as const;

/** Placeholders a name template may use. */
export const namePlaceholders = ['account', 'account_id', 'role', 'role_name', 'session'] as const;

/** Longest profile name sso-sync generates, suffixes included; a name is cut to leave room for its suffix. */
export const maxNameLength = 128;

const accountIdPattern = /^\d{12}$/;
// IAM role names (and so permission set names) use only these characters, at most 64 of them; anything else
// cannot be a real role and could break a `key = value` line, so such an assignment is skipped instead of written.
const roleNamePattern = /^[\w+=,.@-]{1,64}$/;
// Generated names that would stand for something else in the AWS config: `[profile default]` is the default profile.
const reservedNames = new Set(['default']);
// The JS SDK files `[services x]` under the key `services.x` and `[sso-session x]` under `sso-session.x`, the same
// keys as `[profile services.x]` and `[profile sso-session.x]`: such a profile would replace that section there.
const sdkSectionPrefix = /^(services|sso-session)\./i;

/** Why an assignment produced no profile. */
export type SkipReason =
  'excluded-account' | 'excluded-role' | 'invalid-account-id' | 'invalid-role-name' | 'name-taken' | 'unusable-entry';

/** An assignment that produced no profile, and why; the sync logs each. */
export interface Skipped {
  reason: SkipReason;
  assignment: Assignment;
  /** For `name-taken`: the profile name a section outside sso-sync's blocks already uses. */
  name?: string;
  /** For `name-taken`: where that section is, for the message. */
  takenBy?: string;
  /** For `unusable-entry`: what was wrong with the portal's entry. */
  problem?: string;
}

/** Profiles for a set of assignments, plus what was skipped. */
export interface NamingResult {
  profiles: Profile[];
  skipped: Skipped[];
}

/** A name safeName leaves as it is: most account and role names are already one. */
const alreadySafe = /^[A-Za-z0-9._]+(?:-[A-Za-z0-9._]+)*$/;

/**
 * Turns a text into a name every SDK accepts: only `A-Za-z0-9._-` survive, any other run becomes one `-`,
 * runs of `-` fold into one, and no `-` is left at either end.
 */
export function safeName(text: string): string {
  if (alreadySafe.test(text)) return text;
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** An account name or a prefix as the `{account}` part compares them: lowercased, blanks to `-`. */
const normalAccount = (s: string) => s.toLowerCase().replace(/\s+/g, '-');

/** The `{account}` part: lowercased, spaces to `-`, the first matching configured prefix stripped. */
export function accountPart(accountName: string, stripPrefix: readonly string[]): string {
  return accountPartOf(accountName, stripPrefix.map(normalAccount));
}

/** accountPart with the prefixes already normalised. */
function accountPartOf(accountName: string, prefixes: readonly string[]): string {
  let name = normalAccount(accountName);
  for (const p of prefixes) {
    if (p !== '' && name.startsWith(p) && name.length > p.length) {
      name = name.slice(p.length);
      break;
    }
  }
  return safeName(name);
}

/** The `{role}` part: the alias when one is set (`""` drops the role), else the role name itself. */
export function rolePart(roleName: string, roleAlias: Readonly<Record<string, string>>): string {
  const alias = Object.hasOwn(roleAlias, roleName) ? roleAlias[roleName] : undefined;
  return safeName(alias ?? roleName);
}

/** A placeholder of a name template, with the separator on either side of it (one at most, each). */
interface Placeholder {
  before: string;
  key: string;
  after: string;
  /** The placeholder as written, separators included: what an unknown one is replaced with. */
  whole: string;
}

/** A name template cut into its literal text and its placeholders, once for many names. */
function parseTemplate(template: string): (string | Placeholder)[] {
  const parts: (string | Placeholder)[] = [];
  let last = 0;
  for (const m of template.matchAll(/([-_.]?)\{([a-z_]+)\}([-_.]?)/g)) {
    parts.push(template.slice(last, m.index), { before: m[1]!, key: m[2]!, after: m[3]!, whole: m[0] });
    last = m.index + m[0].length;
  }
  parts.push(template.slice(last));
  return parts;
}

/** Fills a parsed template (see fillTemplate). */
function fillParsed(parts: readonly (string | Placeholder)[], values: Readonly<Record<string, string>>): string {
  let filled = '';
  // An index loop: this runs for every assignment, and a `for of` loop makes an object for every step until V8 has
  // optimised it (as do the other index loops over thousands of assignments or names here).
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (typeof part === 'string') {
      filled += part;
      continue;
    }
    const value = Object.hasOwn(values, part.key) ? values[part.key]! : part.whole;
    if (value !== '') filled += part.before + value + part.after;
    // Keep one separator if the placeholder sat between two of them.
    else if (part.before !== '' && part.after !== '') filled += part.before;
  }
  // An empty placeholder at either end leaves its separator behind (`{account}.{role}` -> `prod.`).
  const name = safeName(filled);
  let start = 0;
  let end = name.length;
  while (start < end && isSeparator(name.charCodeAt(start))) start++;
  while (end > start && isSeparator(name.charCodeAt(end - 1))) end--;
  return start === 0 && end === name.length ? name : name.slice(start, end);
}

/** `-`, `_` or `.`: what a template may put between placeholders. */
const isSeparator = (c: number) => c === 45 || c === 95 || c === 46;

/**
 * Fills a name template. An empty placeholder takes one neighbouring separator with it, so
 * `{account}-{role}` with no role part gives `prod`, not `prod-`.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return fillParsed(parseTemplate(template), values);
}

/**
 * The rules made ready to name many assignments: the template parsed, the prefixes normalised and the globs compiled
 * once, and the parts that repeat from one assignment to the next (role and session names) made once each.
 */
class Namer {
  private readonly template: (string | Placeholder)[];
  private readonly prefixes: string[];
  private readonly accountParts = new Map<string, string>();
  private readonly roleParts = new Map<string, string>();
  private readonly safeNames = new Map<string, string>();

  constructor(readonly rules: ProfileRules) {
    this.template = parseTemplate(rules.name);
    this.prefixes = rules.stripPrefix.map(normalAccount);
  }

  /** The name an assignment gets before uniqueness is settled (see baseName). */
  baseName(a: Assignment): string {
    let account = this.accountParts.get(a.accountName);
    if (account === undefined)
      this.accountParts.set(a.accountName, (account = accountPartOf(a.accountName, this.prefixes)));
    account ||= a.accountId;
    const name = fillParsed(this.template, {
      account,
      account_id: a.accountId,
      role: this.rolePart(a.roleName),
      role_name: this.safe(a.roleName),
      session: this.safe(a.session),
    });
    let end = Math.min(name.length, maxNameLength);
    while (end > 0 && name.charCodeAt(end - 1) === 45) end--; // no - left at the end of a cut name
    let cut = name.slice(0, end);
    if (cut.startsWith('s') || cut.startsWith('S')) cut = cut.replace(sdkSectionPrefix, '$1-');
    return cut === '' ? a.accountId : cut;
  }

  private rolePart(roleName: string): string {
    let part = this.roleParts.get(roleName);
    if (part === undefined) this.roleParts.set(roleName, (part = rolePart(roleName, this.rules.roleAlias)));
    return part;
  }

  private safe(text: string): string {
    let name = this.safeNames.get(text);
    if (name === undefined) this.safeNames.set(text, (name = safeName(text)));
    return name;
  }
}

/** The name an assignment gets before uniqueness is settled. */
export function baseName(a: Assignment, rules: ProfileRules): string {
  return new Namer(rules).baseName(a);
}

/** The identity of an assignment: session, account id and role. */
export function assignmentKey(a: Pick<Assignment, 'session' | 'accountId' | 'roleName'>): string {
  return `${a.session}\n${a.accountId}\n${a.roleName}`;
}

function shortHash(a: Assignment): string {
  return createHash('sha256').update(assignmentKey(a)).digest('hex').slice(0, 8);
}

// The suffixes that settle uniqueness, in the order they are added (a session name is cut to 40 characters).
const suffixes: ((a: Assignment) => string)[] = [
  (a) => a.accountId,
  (a) => safeName(a.session).slice(0, 40).replace(/-+$/, ''),
  shortHash,
];

/** `name` with `-suffix` added, the name cut first where needed so that the whole stays within maxNameLength. */
function suffixed(name: string, suffix: string): string {
  return `${name.slice(0, maxNameLength - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
}

/** Every name an assignment can have under the rules, from the plain one to the most suffixed. */
export function candidateNames(a: Assignment, rules: ProfileRules): string[] {
  return candidatesOf(a, new Namer(rules).baseName(a));
}

/** candidateNames from the assignment's base name. */
function candidatesOf(a: Assignment, base: string): string[] {
  const names = [base];
  for (const suffix of suffixes) names.push(suffixed(names.at(-1)!, suffix(a)));
  return names;
}

/**
 * Settles uniqueness. Every name shared by two or more assignments (or reserved) gets the account id as a
 * suffix; names still shared then get the session; any left get a hash of the assignment. Each round looks
 * only at the set of names, never at the order, so the result does not depend on the API's order.
 */
export function uniqueNames(assignments: readonly Assignment[], rules: ProfileRules): string[] {
  const namer = new Namer(rules);
  return settleNames(
    assignments,
    assignments.map((a) => namer.baseName(a)),
  ).names;
}

/** How many of `names` are each name. */
function countNames(names: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < names.length; i++) counts.set(names[i]!, (counts.get(names[i]!) ?? 0) + 1);
  return counts;
}

/** uniqueNames, from the assignments' base names; with the names counted (every count 1 unless out of suffixes). */
function settleNames(assignments: readonly Assignment[], bases: readonly string[]) {
  const names = bases.slice();
  for (const suffix of suffixes) {
    const counts = countNames(names);
    const clashing: number[] = [];
    names.forEach((n, i) => {
      if ((counts.get(n) ?? 0) > 1 || reservedNames.has(n)) clashing.push(i);
    });
    if (clashing.length === 0) return { names, counts };
    for (const i of clashing) names[i] = suffixed(names[i]!, suffix(assignments[i]!));
  }
  return { names, counts: countNames(names) };
}

/** The assignments that can have a profile, each once; the others are skipped. */
function usable(assignments: readonly Assignment[], rules: ProfileRules, skipped: Skipped[]): Assignment[] {
  const excludedAccounts = rules.excludeAccounts.map(globMatcher);
  const excludedRoles = rules.excludeRoles.map(globMatcher);
  // The roles seen, by session and account: no string made for every assignment, as assignmentKey would.
  const seen = new Map<string, Map<string, Set<string>>>();
  const kept: Assignment[] = [];
  for (let i = 0; i < assignments.length; i++) {
    const a = assignments[i]!;
    let accounts = seen.get(a.session);
    if (!accounts) seen.set(a.session, (accounts = new Map<string, Set<string>>()));
    let roles = accounts.get(a.accountId);
    if (!roles) accounts.set(a.accountId, (roles = new Set<string>()));
    if (roles.has(a.roleName)) continue; // the same assignment twice (a repeated page) is one profile
    roles.add(a.roleName);
    if (!accountIdPattern.test(a.accountId)) skipped.push({ reason: 'invalid-account-id', assignment: a });
    else if (!roleNamePattern.test(a.roleName)) skipped.push({ reason: 'invalid-role-name', assignment: a });
    else if (excludedAccounts.some((m) => m(a.accountName) || m(a.accountId)))
      skipped.push({ reason: 'excluded-account', assignment: a });
    else if (excludedRoles.some((m) => m(a.roleName))) skipped.push({ reason: 'excluded-role', assignment: a });
    else kept.push(a);
  }
  return kept;
}

/** A key and its value in a profile. */
type Pair = readonly [string, string];

/** The pair of `key` and `value` from `made`, or a new one kept there: one pair for thousands of profiles. */
function shared(made: Map<string, Pair>, key: string, value: string): Pair {
  let pair = made.get(value);
  if (pair === undefined) made.set(value, (pair = [key, value]));
  return pair;
}

/** The keys of an assignment's profile: `sso_session` first, the region (by the rules), then the extra keys sorted. */
function keysMaker(rules: ProfileRules, sessions: ReadonlyMap<string, SessionDef>) {
  const regions = rules.regions.map((r) => ({ matches: globMatcher(r.match), region: r.region }));
  const extra: Pair[] = Object.keys(rules.set)
    .sort()
    .map((key) => [key, rules.set[key]!]);
  const made = { session: new Map<string, Pair>(), role: new Map<string, Pair>(), region: new Map<string, Pair>() };
  return (a: Assignment, base: string): Pair[] => {
    const session = shared(made.session, 'sso_session', a.session);
    const role = shared(made.role, 'sso_role_name', a.roleName);
    // Region rules match the name before any uniqueness suffix, so `*-eu` still matches `prod-eu-111111111111`.
    const rule = regions.find((r) => r.matches(base));
    const region = rule ? rule.region : (rules.defaultRegion ?? sessions.get(a.session)?.region);
    const keys: Pair[] =
      region === undefined
        ? [session, ['sso_account_id', a.accountId], role]
        : [session, ['sso_account_id', a.accountId], role, shared(made.region, 'region', region)];
    return extra.length === 0 ? keys : keys.concat(extra);
  };
}

/** The names assignments have in the file now (see buildProfiles). */
export interface PreviousNames {
  /** Every name some assignment has now (more do no harm): cheap to list, and most syncs need nothing more. */
  readonly names: Iterable<string>;
  /** The name an assignment (by assignmentKey) has now. */
  get(key: string): string | undefined;
}

const noPreviousNames: PreviousNames = { names: [], get: () => undefined };

/**
 * Builds the profiles for a set of assignments.
 * `taken` maps the profile names already used by sections outside the blocks being rewritten to where they are:
 * those win, and the generated profile is skipped (reported as `name-taken`).
 * `previous` maps assignments (assignmentKey) to the names they have in the file now. An assignment keeps its
 * name when that name is one of its own candidates and carries more suffixes than the one computed now: a sync
 * of only some sessions (a `--session` run, another session failing) does not see every collision, and must
 * not strip a suffix that a full sync would put back. A change of rules still renames; a new collision still
 * adds suffixes.
 */
export function buildProfiles(
  assignments: readonly Assignment[],
  rules: ProfileRules,
  sessions: ReadonlyMap<string, SessionDef>,
  taken: Pick<ReadonlyMap<string, string>, 'has' | 'get'>,
  previous: PreviousNames = noPreviousNames,
): NamingResult {
  const skipped: Skipped[] = [];
  const kept = usable(assignments, rules, skipped);
  const namer = new Namer(rules);
  const bases = kept.map((a) => namer.baseName(a));
  const { names, counts: used } = settleNames(kept, bases);
  // A name is kept only when no name computed now is the same: when every name in the file is one of those (a sync
  // that changes nothing, say), none is, and the name of each assignment need not be looked up.
  let mayKeep = false;
  for (const name of previous.names) if ((mayKeep = !used.has(name))) break;
  if (mayKeep)
    kept.forEach((a, i) => {
      const before = previous.get(assignmentKey(a));
      if (before === undefined || before === names[i] || used.has(before) || taken.has(before)) return;
      const candidates = candidatesOf(a, bases[i]!);
      if (candidates.indexOf(before) > candidates.indexOf(names[i]!)) {
        used.delete(names[i]!);
        used.set(before, 1);
        names[i] = before;
      }
    });
  const keysOf = keysMaker(rules, sessions);
  const profiles: Profile[] = [];
  kept.forEach((a, i) => {
    const name = names[i]!;
    if (taken.has(name)) {
      skipped.push({ reason: 'name-taken', assignment: a, name, takenBy: taken.get(name)! });
      return;
    }
    const { session, accountId, accountName, roleName } = a;
    profiles.push({ name, session, accountId, accountName, roleName, keys: keysOf(a, bases[i]!) });
  });
  profiles.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return { profiles, skipped };
}
