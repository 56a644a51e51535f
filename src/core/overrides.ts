/**
 * Per-account overrides (settings `profiles.accounts`): which override applies to an account and a role, in the
 * documented order, and which keys matched no assignment at all (a typo in an account id should not go unnoticed).
 */
import { globMatcher } from './glob.js';
import type { AccountOverride, Regions, RoleOverride } from './types.js';

/** A key that names one account id. */
export const accountIdKey = /^\d{12}$/;

/** True when a key is a glob that may match more than one name (it has `*` or `?`). */
export const hasWildcard = (key: string) => /[*?]/.test(key);

/** What the overrides say about one account: each setting from the most specific override that gives it. */
export interface AccountSettings {
  alias: string | undefined;
  region: Regions | undefined;
  exclude: boolean | undefined;
  /** The key whose `exclude` applies, for the message. */
  excludeKey: string | undefined;
  /** The extra keys of the matching overrides, merged (the most specific wins a key), or undefined for none. */
  set: Record<string, string> | undefined;
  /** The role settings of the matching overrides, the most specific first. */
  roles: CompiledRole[];
}

/** What the overrides say about one role of an account. */
export interface RoleSettings {
  alias: string | undefined;
  region: Regions | undefined;
  exclude: boolean | undefined;
  excludeKey: string | undefined;
}

interface CompiledRole {
  role: RoleOverride;
  matches: (roleName: string) => boolean;
  /** The settings key, for the messages: `profiles.accounts.KEY.roles.ROLE`. */
  path: string;
}

interface CompiledAccount {
  override: AccountOverride;
  /** 0: an account id, 1: an account name without wildcards, 2: a glob; then the order in the file. */
  rank: number;
  order: number;
  matches: (accountId: string, accountName: string) => boolean;
  path: string;
  roles: CompiledRole[];
}

const noRoles: RoleSettings = { alias: undefined, region: undefined, exclude: undefined, excludeKey: undefined };

/** The settings key of an override, as messages name it. */
export const overridePath = (key: string) => `profiles.accounts.${key}`;

/** The overrides made ready to answer for many assignments; remembers which of them matched. */
export class Overrides {
  private readonly accounts: CompiledAccount[];
  private readonly byAccount = new Map<string, AccountSettings>();
  private readonly matched = new Set<string>();
  /** True when there are no overrides: most settings have none, and then nothing is looked up. */
  readonly none: boolean;

  constructor(overrides: readonly AccountOverride[]) {
    this.none = overrides.length === 0;
    this.accounts = overrides
      .map((override, i) => {
        const path = overridePath(override.key);
        const rank = accountIdKey.test(override.key) ? 0 : hasWildcard(override.key) ? 2 : 1;
        const glob = globMatcher(override.key);
        const matches =
          rank === 0
            ? (accountId: string) => accountId === override.key
            : (_: string, accountName: string) => glob(accountName);
        return { override, rank, order: i, matches, path, roles: compileRoles(override.roles ?? [], path) };
      })
      .sort((a, b) => a.rank - b.rank || a.order - b.order);
  }

  /** The settings the overrides give an account (the same object for every role of it). */
  account(accountId: string, accountName: string): AccountSettings {
    const cacheKey = `${accountId}\n${accountName}`;
    let settings = this.byAccount.get(cacheKey);
    if (settings !== undefined) return settings;
    const hits = this.accounts.filter((c) => c.matches(accountId, accountName));
    for (const h of hits) this.matched.add(h.path);
    const first = (k: 'alias' | 'region' | 'exclude') => hits.find((h) => h.override[k] !== undefined);
    const excluding = first('exclude');
    let set: Record<string, string> | undefined;
    // The least specific first, so that a more specific override's value for a key replaces it.
    for (const h of [...hits].reverse()) if (h.override.set) set = { ...set, ...h.override.set };
    settings = {
      alias: first('alias')?.override.alias,
      region: first('region')?.override.region,
      exclude: excluding?.override.exclude,
      excludeKey: excluding?.path,
      set,
      roles: hits.flatMap((h) => h.roles),
    };
    this.byAccount.set(cacheKey, settings);
    return settings;
  }

  /** The settings the overrides give one role of an account. */
  role(account: AccountSettings, roleName: string): RoleSettings {
    if (account.roles.length === 0) return noRoles;
    const hits = account.roles.filter((r) => r.matches(roleName));
    if (hits.length === 0) return noRoles;
    for (const h of hits) this.matched.add(h.path);
    const excluding = hits.find((h) => h.role.exclude !== undefined);
    return {
      alias: hits.find((h) => h.role.alias !== undefined)?.role.alias,
      region: hits.find((h) => h.role.region !== undefined)?.role.region,
      exclude: excluding?.role.exclude,
      excludeKey: excluding?.path,
    };
  }

  /**
   * The keys that matched nothing: an account override no assignment's account matched, and a role entry of a
   * matched account override that no role of those accounts matched. In the order of the settings file.
   */
  unmatched(): string[] {
    const out: string[] = [];
    for (const c of [...this.accounts].sort((a, b) => a.order - b.order)) {
      if (!this.matched.has(c.path)) out.push(c.path);
      else for (const r of c.roles) if (!this.matched.has(r.path)) out.push(r.path);
    }
    return out;
  }
}

/** An account override's role entries: role names before globs, each kind in the order of the file. */
function compileRoles(roles: readonly RoleOverride[], accountPath: string): CompiledRole[] {
  return roles
    .map((role, i) => ({ role, i, wild: hasWildcard(role.key) }))
    .sort((a, b) => Number(a.wild) - Number(b.wild) || a.i - b.i)
    .map(({ role }) => ({ role, matches: globMatcher(role.key), path: `${accountPath}.roles.${role.key}` }));
}
