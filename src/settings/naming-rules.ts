/**
 * The rules the naming settings (`profiles.case`, `role_case`, `account_trim`, `role_trim`, `profiles.accounts`)
 * become once validated by naming-schema.ts. Apart from the schema, so that settings resolve without loading zod.
 */
import { overridePath } from '../core/overrides.js';
import type { AccountOverride, ProfileRules } from '../core/types.js';

/** A role entry of an override as validated. */
interface RoleInput {
  alias?: string | undefined;
  region?: string | string[] | undefined;
  exclude?: boolean | undefined;
}

/** The settings as validated: the keys of namingKeys. */
export interface NamingSettings {
  case?: ProfileRules['accountCase'];
  role_case?: ProfileRules['roleCase'];
  account_trim?: string[] | undefined;
  role_trim?: string[] | undefined;
  accounts?: Record<string, Omit<AccountOverride, 'key' | 'roles'> & { roles?: Record<string, RoleInput> }> | undefined;
}

/** The rules these settings give, in the file's order (an override's key is kept to name it in messages). */
export function namingRules(p: NamingSettings): Partial<ProfileRules> {
  const accounts = Object.entries(p.accounts ?? {}).map(([key, a]): AccountOverride => ({
    key,
    alias: a.alias,
    region: a.region,
    exclude: a.exclude,
    set: a.set,
    roles: Object.entries(a.roles ?? {}).map(([roleKey, r]) => ({ key: roleKey, ...r })),
  }));
  return {
    accountCase: p.case ?? 'lower',
    roleCase: p.role_case ?? 'keep',
    accountTrim: p.account_trim ?? [],
    roleTrim: p.role_trim ?? [],
    accounts,
  };
}

/** Every region the overrides give, with its key, for the notice about a region sso-sync does not know. */
export function overrideRegions(p: NamingSettings): [string, string | string[]][] {
  return Object.entries(p.accounts ?? {}).flatMap(([key, a]) => {
    const own: [string, string | string[]][] =
      a.region === undefined ? [] : [[`${overridePath(key)}.region`, a.region]];
    const roles = Object.entries(a.roles ?? {}).flatMap(([roleKey, r]): [string, string | string[]][] =>
      r.region === undefined ? [] : [[`${overridePath(key)}.roles.${roleKey}.region`, r.region]],
    );
    return [...own, ...roles];
  });
}
