/** Where names are computed: assignments + rules -> profiles, with safe, unique, stable names. */
import { createHash } from 'node:crypto';
import { globMatcher } from './glob.js';
import { accountIdKey, Overrides, type AccountSettings, type RoleSettings } from './overrides.js';
import { regionList, shortRegion } from './region-names.js';
import type { Assignment, NameCase, Profile, ProfileRules, Regions, SessionDef } from './types.js';

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
export const namePlaceholders = [
  'account',
  'account_id',
  'account_name',
  'role',
  'role_name',
  'session',
  'region',
  'region_short',
] as const;

/** Longest profile name sso-sync generates, suffixes included; a name is cut to leave room for its suffix. */
export const maxNameLength = 128;

// IAM role names (and so permission set names) use only these characters, at most 64 of them; anything else
// cannot be a real role and could break a `key = value` line, so such an assignment is skipped instead of written.
const roleNamePattern = /^[\w+=,.@-]{1,64}$/;
// Generated names that would stand for something else in the AWS config: `[profile default]` is the default profile.
const reservedNames = ['default'];
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
  /** For `excluded-account` and `excluded-role`: the settings key that excluded it. */
  by?: string;
  /** For `name-taken`: the region of the profile skipped, when its assignment has several. */
  region?: string;
}

/** Profiles for a set of assignments, plus what was skipped. */
export interface NamingResult {
  profiles: Profile[];
  skipped: Skipped[];
  /** Keys of `profiles.accounts` that matched no assignment (see Overrides.unmatched). */
  unmatched: string[];
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

/** Text in one of the name cases. */
function cased(text: string, nameCase: NameCase): string {
  return nameCase === 'lower' ? text.toLowerCase() : nameCase === 'upper' ? text.toUpperCase() : text;
}

/** The `{account}` part: lowercased, spaces to `-`, the first matching configured prefix stripped. */
export function accountPart(accountName: string, stripPrefix: readonly string[]): string {
  return accountPartOf(accountName, stripPrefix.map(normalAccount));
}

/**
 * accountPart with the prefixes already normalised, in a case: blanks to `-`, cased, the first prefix that matches
 * (compared without case) stripped, and made safe.
 */
function accountPartOf(accountName: string, prefixes: readonly string[], nameCase: NameCase = 'lower'): string {
  // Lowercase first, as sso-sync always has: a name of letters whose lowercase is longer keeps its old name.
  let name = nameCase === 'lower' ? normalAccount(accountName) : cased(accountName.replace(/\s+/g, '-'), nameCase);
  for (const p of prefixes) {
    const head = nameCase === 'lower' ? name.slice(0, p.length) : name.slice(0, p.length).toLowerCase();
    if (p !== '' && head === p && name.length > p.length) {
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

/** A part with every match of each trim removed, in order, then made safe again (a trim may leave a - at an end). */
function trimmed(part: string, trims: readonly RegExp[]): string {
  if (trims.length === 0) return part;
  let text = part;
  for (const re of trims) text = text.replace(re, '');
  return safeName(text);
}

/** Compiles the trims of the settings (checked when the settings load): case-insensitive, every match. */
export function compileTrim(source: string): RegExp {
  return new RegExp(source, 'gi');
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

/** The placeholders that put the region into a name. */
const regionPlaceholder = /\{region(_short)?\}/;

/**
 * An assignment that can have profiles, with what the overrides say about its account and role; then, as a slot, one
 * profile to be: the assignment in one of its regions. (One object is both for an assignment with one region, the
 * usual case: a sync of thousands of profiles makes one object each, not two.)
 */
interface Slot {
  a: Assignment;
  account: AccountSettings;
  role: RoleSettings;
  /** undefined when no region is known (no session definition): the profile then has no `region` key. */
  region: string | undefined;
  /** True when the assignment has several regions, so that its identity includes the region. */
  several: boolean;
  extra: readonly Pair[];
}

/** An assignment that can have profiles, before its regions are known. */
type Kept = Slot;

const noAccount: AccountSettings = {
  alias: undefined,
  region: undefined,
  exclude: undefined,
  excludeKey: undefined,
  set: undefined,
  roles: [],
};
const noRole: RoleSettings = { alias: undefined, region: undefined, exclude: undefined, excludeKey: undefined };
const noExtra: readonly Pair[] = [];

/**
 * The rules made ready to name many assignments: the template parsed, the prefixes normalised, the expressions and
 * globs compiled once, and the parts that repeat from one assignment to the next (account, role and session names)
 * made once each.
 */
class Namer {
  private readonly template: (string | Placeholder)[];
  private readonly prefixes: string[];
  private readonly accountCase: NameCase;
  private readonly roleCase: NameCase;
  private readonly accountTrims: RegExp[];
  private readonly roleTrims: RegExp[];
  /** True when the template places the region itself; otherwise several regions add a short region suffix. */
  readonly regionInTemplate: boolean;
  /** The placeholders the template has that are not needed by every name (see baseName). */
  private readonly uses: { role_name: boolean; session: boolean; account_name: boolean };
  readonly overrides: Overrides;
  private readonly accountParts = new Map<string, string>();
  private readonly roleParts = new Map<string, string>();
  private readonly safeNames = new Map<string, string>();

  constructor(readonly rules: ProfileRules) {
    this.template = parseTemplate(rules.name);
    this.prefixes = rules.stripPrefix.map(normalAccount);
    this.accountCase = rules.accountCase ?? 'lower';
    this.roleCase = rules.roleCase ?? 'keep';
    this.accountTrims = (rules.accountTrim ?? []).map(compileTrim);
    this.roleTrims = (rules.roleTrim ?? []).map(compileTrim);
    this.regionInTemplate = regionPlaceholder.test(rules.name);
    this.uses = {
      role_name: rules.name.includes('{role_name}'),
      session: rules.name.includes('{session}'),
      account_name: rules.name.includes('{account_name}'),
    };
    this.overrides = new Overrides(rules.accounts ?? []);
  }

  /** An assignment as kept: with what the overrides say about its account and role. */
  kept(a: Assignment): Kept {
    const account = this.overrides.none ? noAccount : this.overrides.account(a.accountId, a.accountName);
    const role = this.overrides.none ? noRole : this.overrides.role(account, a.roleName);
    return { a, account, role, region: undefined, several: false, extra: noExtra };
  }

  /**
   * The name an assignment gets before uniqueness is settled, in `region` (see baseName). Without a region, the
   * name without its region part: what region rules match.
   */
  baseName(k: Kept, region?: string): string {
    const a = k.a;
    const values: Record<string, string> = {
      account: this.accountPart(a, k.account),
      account_id: a.accountId,
      role: this.rolePart(a.roleName, k.role),
    };
    // Only what the template uses: these run for every profile of a large organisation.
    if (this.uses.role_name) values.role_name = this.safe(a.roleName);
    if (this.uses.session) values.session = this.safe(a.session);
    if (this.uses.account_name) values.account_name = this.safe(a.accountName) || a.accountId;
    if (this.regionInTemplate) {
      values.region = region ?? '';
      values.region_short = region === undefined ? '' : shortRegion(region);
    }
    const name = fillParsed(this.template, values);
    let end = Math.min(name.length, maxNameLength);
    while (end > 0 && name.charCodeAt(end - 1) === 45) end--; // no - left at the end of a cut name
    let cut = name.slice(0, end);
    if (cut.startsWith('s') || cut.startsWith('S')) cut = cut.replace(sdkSectionPrefix, '$1-');
    return cut === '' ? a.accountId : cut;
  }

  /** The `{account}` part: the override's alias, else the account name cased, stripped and trimmed, else the id. */
  private accountPart(a: Assignment, account: AccountSettings): string {
    if (account.alias !== undefined) return account.alias;
    let part = this.accountParts.get(a.accountName);
    if (part === undefined) {
      part = trimmed(accountPartOf(a.accountName, this.prefixes, this.accountCase), this.accountTrims);
      this.accountParts.set(a.accountName, part);
    }
    return part || a.accountId;
  }

  /** The `{role}` part: the override's alias, else `role_alias`, else the role name cased and trimmed. */
  private rolePart(roleName: string, role: RoleSettings): string {
    if (role.alias !== undefined) return this.safe(role.alias);
    let part = this.roleParts.get(roleName);
    if (part === undefined) {
      part = Object.hasOwn(this.rules.roleAlias, roleName)
        ? rolePart(roleName, this.rules.roleAlias)
        : trimmed(safeName(cased(roleName, this.roleCase)), this.roleTrims);
      this.roleParts.set(roleName, part);
    }
    return part;
  }

  private safe(text: string): string {
    let name = this.safeNames.get(text);
    if (name === undefined) this.safeNames.set(text, (name = safeName(text)));
    return name;
  }
}

/** The name an assignment gets before uniqueness is settled (in one region, or without its region part). */
export function baseName(a: Assignment, rules: ProfileRules, region?: string): string {
  const namer = new Namer(rules);
  return namer.baseName(namer.kept(a), region);
}

/** The identity of an assignment: session, account id and role. */
export function assignmentKey(a: Pick<Assignment, 'session' | 'accountId' | 'roleName'>): string {
  return `${a.session}\n${a.accountId}\n${a.roleName}`;
}

/**
 * The identity of a profile: its assignment, and its region when the assignment has several (one profile each).
 * A profile of an assignment with one region is known by the assignment alone, so that a new region rule changes
 * its `region` key rather than making it another profile.
 */
export function profileKey(a: Pick<Assignment, 'session' | 'accountId' | 'roleName'>, region?: string): string {
  return region === undefined ? assignmentKey(a) : `${assignmentKey(a)}\n${region}`;
}

const slotKey = (s: Slot) => profileKey(s.a, s.several ? s.region : undefined);

function shortHash(s: Slot): string {
  return createHash('sha256').update(slotKey(s)).digest('hex').slice(0, 8);
}

// The suffixes that settle uniqueness, in the order they are added (a session name is cut to 40 characters).
const suffixes: ((s: Slot) => string)[] = [
  (s) => s.a.accountId,
  (s) => safeName(s.a.session).slice(0, 40).replace(/-+$/, ''),
  shortHash,
];

/** `name` with `-suffix` added, the name cut first where needed so that the whole stays within maxNameLength. */
export function suffixed(name: string, suffix: string): string {
  return `${name.slice(0, maxNameLength - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
}

/** A one-region slot of an assignment, for the exported helpers that name assignments one by one. */
function plainSlot(a: Assignment, namer: Namer): { slot: Slot; base: string } {
  const slot = namer.kept(a);
  return { slot, base: namer.baseName(slot) };
}

/** Every name an assignment can have under the rules, from the plain one to the most suffixed. */
export function candidateNames(a: Assignment, rules: ProfileRules): string[] {
  const { slot, base } = plainSlot(a, new Namer(rules));
  return candidatesOf(slot, base);
}

/** candidateNames from a slot's base name. */
function candidatesOf(s: Slot, base: string): string[] {
  const names = [base];
  for (const suffix of suffixes) names.push(suffixed(names.at(-1)!, suffix(s)));
  return names;
}

/**
 * Settles uniqueness. Every name shared by two or more assignments (or reserved) gets the account id as a
 * suffix; names still shared then get the session; any left get a hash of the assignment. Each round looks
 * only at the set of names, never at the order, so the result does not depend on the API's order.
 */
export function uniqueNames(assignments: readonly Assignment[], rules: ProfileRules): string[] {
  const namer = new Namer(rules);
  const plain = assignments.map((a) => plainSlot(a, namer));
  return settleNames(
    plain.map((p) => p.slot),
    plain.map((p) => p.base),
  ).names;
}

/** How many of `names` are each name. */
function countNames(names: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < names.length; i++) counts.set(names[i]!, (counts.get(names[i]!) ?? 0) + 1);
  return counts;
}

/** uniqueNames, from the slots' base names; with the set of the names settled. */
function settleNames(slots: readonly Slot[], bases: readonly string[]): { names: string[]; used: Set<string> } {
  const names = bases.slice();
  for (const suffix of suffixes) {
    // Every name given once and none reserved, as in most organisations: nothing to settle. The set is made natively,
    // faster in a new process than by a loop of sso-sync's own, which V8 has not optimised yet.
    const used = new Set(names);
    if (used.size === names.length && !reservedNames.some((n) => used.has(n))) return { names, used };
    const counts = countNames(names);
    const clashing: number[] = [];
    names.forEach((n, i) => {
      if (counts.get(n)! > 1 || reservedNames.includes(n)) clashing.push(i);
    });
    for (const i of clashing) names[i] = suffixed(names[i]!, suffix(slots[i]!));
  }
  // Out of suffixes: a name may still be given twice (two hashes the same), and is in the set once.
  return { names, used: new Set(names) };
}

/** Why an assignment is excluded, and by which settings key; undefined when it is not. */
function exclusion(
  k: Kept,
  excludedAccounts: readonly ((text: string) => boolean)[],
  excludedRoles: readonly ((text: string) => boolean)[],
): Pick<Skipped, 'reason' | 'by'> | undefined {
  const a = k.a;
  // The most specific setting decides: the role's override, the account's override, then the profiles.* globs.
  if (k.role.exclude !== undefined)
    return k.role.exclude ? { reason: 'excluded-role', by: k.role.excludeKey! } : undefined;
  if (k.account.exclude === true) return { reason: 'excluded-account', by: k.account.excludeKey! };
  // (Most settings exclude nothing: the lists are looked at only when they hold something.)
  if (
    k.account.exclude === undefined &&
    excludedAccounts.length > 0 &&
    excludedAccounts.some((m) => m(a.accountName) || m(a.accountId))
  )
    return { reason: 'excluded-account', by: 'profiles.exclude_accounts' };
  if (excludedRoles.length > 0 && excludedRoles.some((m) => m(a.roleName)))
    return { reason: 'excluded-role', by: 'profiles.exclude_roles' };
  return undefined;
}

/** The assignments that can have a profile, each once; the others are skipped. */
function usable(assignments: readonly Assignment[], namer: Namer, skipped: Skipped[]): Kept[] {
  const excludedAccounts = namer.rules.excludeAccounts.map(globMatcher);
  const excludedRoles = namer.rules.excludeRoles.map(globMatcher);
  // The roles seen, by session and account: no string made for every assignment, as assignmentKey would.
  const seen = new Map<string, Map<string, Set<string>>>();
  const kept: Kept[] = [];
  for (let i = 0; i < assignments.length; i++) {
    const a = assignments[i]!;
    let accounts = seen.get(a.session);
    if (!accounts) seen.set(a.session, (accounts = new Map<string, Set<string>>()));
    let roles = accounts.get(a.accountId);
    if (!roles) accounts.set(a.accountId, (roles = new Set<string>()));
    if (roles.has(a.roleName)) continue; // the same assignment twice (a repeated page) is one profile
    roles.add(a.roleName);
    if (!accountIdKey.test(a.accountId)) skipped.push({ reason: 'invalid-account-id', assignment: a });
    else if (!roleNamePattern.test(a.roleName)) skipped.push({ reason: 'invalid-role-name', assignment: a });
    else {
      const k = namer.kept(a);
      const excluded = exclusion(k, excludedAccounts, excludedRoles);
      if (excluded) skipped.push({ ...excluded, assignment: a });
      else kept.push(k);
    }
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

/** A `set` mapping as pairs sorted by key. */
const sortedPairs = (set: Readonly<Record<string, string>>): Pair[] =>
  Object.keys(set)
    .sort()
    .map((key) => [key, set[key]!]);

/**
 * The profiles to be for the kept assignments: each assignment in each of its regions, with its extra keys. The
 * region comes from the most specific setting that gives one: the role's override, the account's override, the
 * first region rule that matches the name (without its region part), `default_region`, the session's region.
 */
function slotsOf(kept: readonly Kept[], namer: Namer, sessions: ReadonlyMap<string, SessionDef>) {
  const rules = namer.rules;
  const regionRules = rules.regions.map((r) => ({ matches: globMatcher(r.match), region: r.region }));
  const baseExtra = sortedPairs(rules.set);
  const extras = new Map<AccountSettings, Pair[]>();
  // Each region setting as its list of different regions, made once (most assignments share a handful).
  const lists = new Map<Regions, string[]>();
  const listOf = (given: Regions) => {
    let list = lists.get(given);
    if (list === undefined) lists.set(given, (list = [...new Set(regionList(given))]));
    return list;
  };
  const slots: Slot[] = [];
  const bases: string[] = [];
  for (let i = 0; i < kept.length; i++) {
    const k = kept[i]!;
    const ruleName = namer.baseName(k);
    let extra = baseExtra;
    if (k.account.set !== undefined) {
      extra = extras.get(k.account) ?? sortedPairs({ ...rules.set, ...k.account.set });
      extras.set(k.account, extra);
    }
    const given =
      k.role.region ??
      k.account.region ??
      (regionRules.length > 0 ? regionRules.find((r) => r.matches(ruleName))?.region : undefined) ??
      rules.defaultRegion ??
      sessions.get(k.a.session)?.region;
    const regions = given === undefined ? undefined : listOf(given);
    if (regions === undefined || regions.length === 1) {
      // The usual case: the kept object is the slot.
      k.region = regions?.[0];
      k.extra = extra;
      slots.push(k);
      bases.push(namer.regionInTemplate ? namer.baseName(k, k.region) : ruleName);
      continue;
    }
    for (const region of regions) {
      slots.push({ ...k, region, several: true, extra });
      bases.push(namer.regionInTemplate ? namer.baseName(k, region) : suffixed(ruleName, shortRegion(region)));
    }
  }
  return { slots, bases };
}

/** The keys of a slot's profile: `sso_session` first, its region, then the extra keys sorted. */
function keysMaker() {
  const made = { session: new Map<string, Pair>(), role: new Map<string, Pair>(), region: new Map<string, Pair>() };
  return (s: Slot): Pair[] => {
    const a = s.a;
    const session = shared(made.session, 'sso_session', a.session);
    const role = shared(made.role, 'sso_role_name', a.roleName);
    const keys: Pair[] =
      s.region === undefined
        ? [session, ['sso_account_id', a.accountId], role]
        : [session, ['sso_account_id', a.accountId], role, shared(made.region, 'region', s.region)];
    return s.extra.length === 0 ? keys : keys.concat(s.extra);
  };
}

/** The names profiles have in the file now (see buildProfiles). */
export interface PreviousNames {
  /** Every name some assignment has now (more do no harm): cheap to list, and most syncs need nothing more. */
  readonly names: Iterable<string>;
  /** The name a profile (by profileKey) has now. */
  get(key: string): string | undefined;
}

const noPreviousNames: PreviousNames = { names: [], get: () => undefined };

/** Orders profiles by name, as a block holds them. */
export const byName = (x: { name: string }, y: { name: string }): number =>
  x.name < y.name ? -1 : x.name > y.name ? 1 : 0;

/** The value of one of a profile's keys, if it has the key. */
export const keyOf = (p: Pick<Profile, 'keys'>, key: string): string | undefined =>
  p.keys.find(([k]) => k === key)?.[1];

/**
 * The names settled for a set of assignments (see uniqueNames), before the names profiles have in the file now are
 * weighed (keepPrevious), and the profiles they give (profilesOf). A plan that finds its blocks already as they
 * would be written needs no more: the names in those blocks are the names settled now.
 */
export class Naming {
  private readonly skipped: Skipped[] = [];
  private readonly namer: Namer;
  private readonly slots: Slot[];
  private readonly bases: string[];
  private readonly names: string[];
  /** The names the slots have. */
  private readonly used: Set<string>;

  constructor(assignments: readonly Assignment[], rules: ProfileRules, sessions: ReadonlyMap<string, SessionDef>) {
    this.namer = new Namer(rules);
    const kept = usable(assignments, this.namer, this.skipped);
    ({ slots: this.slots, bases: this.bases } = slotsOf(kept, this.namer, sessions));
    ({ names: this.names, used: this.used } = settleNames(this.slots, this.bases));
  }

  /**
   * Keeps the names profiles have in the file now where they carry more suffixes than the names settled now (see
   * buildProfiles); `taken` names are never kept. True when a name changed.
   */
  keepPrevious(previous: PreviousNames, taken: Pick<ReadonlyMap<string, string>, 'has'>): boolean {
    const { slots, names, used } = this;
    // A name is kept only when no name settled now is the same: when every name in the file is one of those (a sync
    // that changes nothing, say), none is, and the name of each profile need not be looked up.
    let mayKeep = false;
    for (const name of previous.names) if ((mayKeep = !used.has(name))) break;
    if (!mayKeep) return false;
    let changed = false;
    slots.forEach((s, i) => {
      const before = previous.get(slotKey(s));
      if (before === undefined || before === names[i] || used.has(before) || taken.has(before)) return;
      const candidates = candidatesOf(s, this.bases[i]!);
      if (candidates.indexOf(before) > candidates.indexOf(names[i]!)) {
        used.delete(names[i]!);
        used.add(before);
        names[i] = before;
        changed = true;
      }
    });
    return changed;
  }

  /**
   * The profiles of the names as they stand, sorted by name, and what was skipped. `taken` maps the profile names
   * already used by sections outside the blocks being rewritten to where they are: those win, and the generated
   * profile is skipped (reported as `name-taken`).
   */
  profilesOf(taken: Pick<ReadonlyMap<string, string>, 'has' | 'get'>): NamingResult {
    const keysOf = keysMaker();
    const profiles: Profile[] = [];
    const skipped = this.skipped.slice();
    this.slots.forEach((s, i) => {
      const name = this.names[i]!;
      if (taken.has(name)) {
        const region = s.several ? { region: s.region! } : {};
        skipped.push({ reason: 'name-taken', assignment: s.a, name, takenBy: taken.get(name)!, ...region });
        return;
      }
      const { session, accountId, accountName, roleName } = s.a;
      profiles.push({ name, session, accountId, accountName, roleName, keys: keysOf(s) });
    });
    profiles.sort(byName);
    return { profiles, skipped, unmatched: this.namer.overrides.unmatched() };
  }
}

/**
 * Builds the profiles for a set of assignments.
 * `taken` maps the profile names already used by sections outside the blocks being rewritten to where they are:
 * those win, and the generated profile is skipped (reported as `name-taken`).
 * `previous` maps profiles (profileKey) to the names they have in the file now. A profile keeps its name when that
 * name is one of its own candidates and carries more suffixes than the one computed now: a sync of only some
 * sessions (a `--session` run, another session failing) does not see every collision, and must not strip a suffix
 * that a full sync would put back. A change of rules still renames; a new collision still adds suffixes.
 */
export function buildProfiles(
  assignments: readonly Assignment[],
  rules: ProfileRules,
  sessions: ReadonlyMap<string, SessionDef>,
  taken: Pick<ReadonlyMap<string, string>, 'has' | 'get'>,
  previous: PreviousNames = noPreviousNames,
): NamingResult {
  const naming = new Naming(assignments, rules, sessions);
  naming.keepPrevious(previous, taken);
  return naming.profilesOf(taken);
}
