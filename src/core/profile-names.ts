/** Where names are computed: assignments + rules -> profiles, with safe, unique, stable names. */
import { createHash } from 'node:crypto';
import { matchesAny, globMatcher } from './glob.js';
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

/**
 * Turns a text into a name every SDK accepts: only `A-Za-z0-9._-` survive, any other run becomes one `-`,
 * runs of `-` fold into one, and no `-` is left at either end.
 */
export function safeName(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The `{account}` part: lowercased, spaces to `-`, the first matching configured prefix stripped. */
export function accountPart(accountName: string, stripPrefix: readonly string[]): string {
  const normal = (s: string) => s.toLowerCase().replace(/\s+/g, '-');
  let name = normal(accountName);
  for (const prefix of stripPrefix) {
    const p = normal(prefix);
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

/**
 * Fills a name template. An empty placeholder takes one neighbouring separator with it, so
 * `{account}-{role}` with no role part gives `prod`, not `prod-`.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const filled = template.replace(
    /([-_.]?)\{([a-z_]+)\}([-_.]?)/g,
    (whole, before: string, key: string, after: string) => {
      const value = Object.hasOwn(values, key) ? values[key]! : whole;
      if (value !== '') return before + value + after;
      // Keep one separator if the placeholder sat between two of them.
      return before !== '' && after !== '' ? before : '';
    },
  );
  // An empty placeholder at either end leaves its separator behind (`{account}.{role}` -> `prod.`).
  return safeName(filled).replace(/^[-_.]+|[-_.]+$/g, '');
}

/** The name an assignment gets before uniqueness is settled. */
export function baseName(a: Assignment, rules: ProfileRules): string {
  const account = accountPart(a.accountName, rules.stripPrefix) || a.accountId;
  const name = fillTemplate(rules.name, {
    account,
    account_id: a.accountId,
    role: rolePart(a.roleName, rules.roleAlias),
    role_name: safeName(a.roleName),
    session: safeName(a.session),
  });
  const cut = name.slice(0, maxNameLength).replace(/-+$/, '').replace(sdkSectionPrefix, '$1-');
  return cut === '' ? a.accountId : cut;
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
  const names = [baseName(a, rules)];
  for (const suffix of suffixes) names.push(suffixed(names.at(-1)!, suffix(a)));
  return names;
}

/**
 * Settles uniqueness. Every name shared by two or more assignments (or reserved) gets the account id as a
 * suffix; names still shared then get the session; any left get a hash of the assignment. Each round looks
 * only at the set of names, never at the order, so the result does not depend on the API's order.
 */
export function uniqueNames(assignments: readonly Assignment[], rules: ProfileRules): string[] {
  const names = assignments.map((a) => baseName(a, rules));
  for (const suffix of suffixes) {
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    const clashing = names.flatMap((n, i) => ((counts.get(n) ?? 0) > 1 || reservedNames.has(n) ? [i] : []));
    if (clashing.length === 0) break;
    for (const i of clashing) names[i] = suffixed(names[i]!, suffix(assignments[i]!));
  }
  return names;
}

function regionFor(name: string, rules: ProfileRules, session: SessionDef | undefined): string | undefined {
  for (const r of rules.regions) if (globMatcher(r.match)(name)) return r.region;
  return rules.defaultRegion ?? session?.region;
}

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
  taken: ReadonlyMap<string, string>,
  previous: ReadonlyMap<string, string> = new Map(),
): NamingResult {
  const skipped: Skipped[] = [];
  const seen = new Set<string>();
  const kept: Assignment[] = [];
  for (const a of assignments) {
    if (seen.has(assignmentKey(a))) continue; // the same assignment twice (a repeated page) is one profile
    seen.add(assignmentKey(a));
    if (!accountIdPattern.test(a.accountId)) skipped.push({ reason: 'invalid-account-id', assignment: a });
    else if (!roleNamePattern.test(a.roleName)) skipped.push({ reason: 'invalid-role-name', assignment: a });
    else if (matchesAny(rules.excludeAccounts, a.accountName, a.accountId))
      skipped.push({ reason: 'excluded-account', assignment: a });
    else if (matchesAny(rules.excludeRoles, a.roleName)) skipped.push({ reason: 'excluded-role', assignment: a });
    else kept.push(a);
  }
  const bases = kept.map((a) => baseName(a, rules));
  const names = uniqueNames(kept, rules);
  const used = new Set(names);
  kept.forEach((a, i) => {
    const before = previous.get(assignmentKey(a));
    if (before === undefined || before === names[i] || used.has(before) || taken.has(before)) return;
    const candidates = candidateNames(a, rules);
    if (candidates.indexOf(before) > candidates.indexOf(names[i]!)) {
      used.delete(names[i]!);
      used.add(before);
      names[i] = before;
    }
  });
  const profiles: Profile[] = [];
  kept.forEach((a, i) => {
    const name = names[i]!;
    if (taken.has(name)) {
      skipped.push({ reason: 'name-taken', assignment: a, name, takenBy: taken.get(name)! });
      return;
    }
    const keys: [string, string][] = [
      ['sso_session', a.session],
      ['sso_account_id', a.accountId],
      ['sso_role_name', a.roleName],
    ];
    // Region rules match the name before any uniqueness suffix, so `*-eu` still matches `prod-eu-111111111111`.
    const region = regionFor(bases[i]!, rules, sessions.get(a.session));
    if (region !== undefined) keys.push(['region', region]);
    for (const key of Object.keys(rules.set).sort()) keys.push([key, rules.set[key]!]);
    profiles.push({
      name,
      session: a.session,
      accountId: a.accountId,
      accountName: a.accountName,
      roleName: a.roleName,
      keys,
    });
  });
  profiles.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return { profiles, skipped };
}
