/**
 * Role-chain profiles (settings `chains`): for the SSO profiles a chain matches, a profile that assumes another role
 * with the SSO profile's credentials (`source_profile`, `role_arn`), as aws-sso-cli's `Via` does. Pure: generated
 * profiles in, chain profiles and the ones skipped out. They live in the same block and follow the same rules: a
 * name a section outside the blocks uses wins, names shared by generated profiles get stable suffixes.
 */
import { createHash } from 'node:crypto';
import { globMatcher } from './glob.js';
import { byName, maxNameLength, safeName, suffixed, type NamingResult } from './profile-names.js';
import type { Profile } from './types.js';

/** One entry of `chains`, validated. */
export interface ChainRule {
  /** Name template; `{profile}` (the SSO profile's name) is required, `{account_id}`, `{role_name}`, `{session}`. */
  name: string;
  /** Role ARN template: `{account_id}`, `{role_name}`, `{session}`. */
  roleArn: string;
  /** Globs on the account name or id; every account when empty. */
  accounts: string[];
  /** Globs on the role (permission set) name; every role when empty. */
  roles: string[];
  roleSessionName: string | undefined;
  durationSeconds: number | undefined;
  externalId: string | undefined;
}

/** Placeholders of a chain's name template. */
export const chainNamePlaceholders = ['profile', 'account_id', 'role_name', 'session'] as const;

/** Placeholders of a chain's role ARN template. */
export const chainArnPlaceholders = ['account_id', 'role_name', 'session'] as const;

/** A chain profile a name outside the blocks already takes, as the sync reports it. */
export interface SkippedChain {
  source: Profile;
  name: string;
  takenBy: string;
}

/** Fills `{key}` placeholders; the templates were checked when the settings loaded. */
export function fillChainTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, key: string) => values[key] ?? whole);
}

/** The values a chain's templates take for an SSO profile. */
function valuesOf(p: Profile): Record<string, string> {
  return { profile: p.name, account_id: p.accountId, role_name: p.roleName, session: p.session };
}

/** A chain profile before its name is settled. */
interface Candidate {
  source: Profile;
  chain: number;
  name: string;
  keys: (readonly [string, string])[];
}

/**
 * A filled name template as a profile name: safe for every SDK as the generated names are, at most maxNameLength
 * long, and never `services.` or `sso-session.` first (the JS SDK files those under a section's key).
 */
function chainName(filled: string): string {
  return safeName(filled)
    .slice(0, maxNameLength)
    .replace(/-+$/, '')
    .replace(/^(services|sso-session)\./i, '$1-');
}

function candidatesOf(profiles: readonly Profile[], chains: readonly ChainRule[]): Candidate[] {
  const out: Candidate[] = [];
  chains.forEach((rule, chain) => {
    const accounts = rule.accounts.map(globMatcher);
    const roles = rule.roles.map(globMatcher);
    for (const source of profiles) {
      if (accounts.length > 0 && !accounts.some((m) => m(source.accountName) || m(source.accountId))) continue;
      if (roles.length > 0 && !roles.some((m) => m(source.roleName))) continue;
      const values = valuesOf(source);
      const region = source.keys.find(([k]) => k === 'region');
      const keys: (readonly [string, string])[] = [
        ['source_profile', source.name],
        ['role_arn', fillChainTemplate(rule.roleArn, values)],
      ];
      if (rule.roleSessionName !== undefined) keys.push(['role_session_name', rule.roleSessionName]);
      if (rule.durationSeconds !== undefined) keys.push(['duration_seconds', String(rule.durationSeconds)]);
      if (rule.externalId !== undefined) keys.push(['external_id', rule.externalId]);
      if (region) keys.push(region);
      out.push({ source, chain, name: chainName(fillChainTemplate(rule.name, values)), keys });
    }
  });
  return out;
}

/** The suffixes that settle a shared chain name, in order: the account id, then a hash of chain and source. */
const suffixes: ((c: Candidate) => string)[] = [
  (c) => c.source.accountId,
  (c) =>
    createHash('sha256')
      .update(`${c.chain}\n${c.source.session}\n${c.source.accountId}\n${c.source.roleName}`)
      .digest('hex')
      .slice(0, 8),
];

/**
 * The chain profiles for the generated SSO profiles. A chain name that an SSO profile or another chain profile also
 * has gets the account id as a suffix, then a hash (SSO profiles keep their names: the chains are built on them);
 * a name a section outside the blocks rewritten now takes (`taken`) is skipped, that section wins.
 */
export function chainProfiles(
  profiles: readonly Profile[],
  chains: readonly ChainRule[],
  taken: Pick<ReadonlyMap<string, string>, 'has' | 'get'>,
): { profiles: Profile[]; skipped: SkippedChain[] } {
  if (chains.length === 0) return { profiles: [], skipped: [] };
  const candidates = candidatesOf(profiles, chains);
  const ssoNames = new Set(profiles.map((p) => p.name));
  for (const suffix of suffixes) {
    const counts = new Map<string, number>();
    for (const c of candidates) counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
    const clashing = candidates.filter((c) => (counts.get(c.name) ?? 0) > 1 || ssoNames.has(c.name));
    if (clashing.length === 0) break;
    for (const c of clashing) c.name = suffixed(c.name, suffix(c));
  }
  const out: Profile[] = [];
  const skipped: SkippedChain[] = [];
  for (const c of candidates) {
    if (taken.has(c.name)) {
      skipped.push({ source: c.source, name: c.name, takenBy: taken.get(c.name)! });
      continue;
    }
    const { session, accountId, accountName, roleName } = c.source;
    out.push({ name: c.name, session, accountId, accountName, roleName, keys: c.keys });
  }
  return { profiles: out, skipped };
}

/**
 * The generated profiles, renamed where a chain profile of the block holds the name now (`held`) and a chain claims
 * it again: the generated profile is the newcomer there, so it takes the account id as a suffix, and `--profile NAME`
 * keeps assuming the role it did. Run before the style writes the names into the profiles' keys.
 */
export function yieldToChains(
  built: NamingResult,
  chains: readonly ChainRule[],
  held: ReadonlySet<string>,
): NamingResult {
  if (chains.length === 0 || held.size === 0 || !built.profiles.some((p) => held.has(p.name))) return built;
  const claimed = new Set(candidatesOf(built.profiles, chains).map((c) => c.name));
  const profiles = built.profiles.map((p) =>
    held.has(p.name) && claimed.has(p.name) ? { ...p, name: suffixed(p.name, p.accountId) } : p,
  );
  profiles.sort(byName);
  return { ...built, profiles };
}

/**
 * The profiles of a plan: the generated ones (`styled`, as their style writes them) with the chain profiles built on
 * them (`built`, as named), sorted by name as a block holds them; and everything skipped, chain profiles included.
 */
export function withChains(
  styled: Profile[],
  built: NamingResult,
  chains: readonly ChainRule[],
  taken: Pick<ReadonlyMap<string, string>, 'has' | 'get'>,
): NamingResult {
  if (chains.length === 0) return { profiles: styled, skipped: built.skipped, unmatched: built.unmatched };
  const chained = chainProfiles(built.profiles, chains, taken);
  const profiles = [...styled, ...chained.profiles].sort(byName);
  const skipped = [
    ...built.skipped,
    ...chained.skipped.map(({ source: { session, accountId, accountName, roleName }, name, takenBy }) => ({
      reason: 'name-taken' as const,
      assignment: { session, accountId, accountName, roleName },
      name,
      takenBy,
    })),
  ];
  return { profiles, skipped, unmatched: built.unmatched };
}
