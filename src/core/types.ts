/** Plain values shared by the pure core: assignments in, profiles and blocks out. */

/** One sso-session: the AWS CLI's `[sso-session NAME]` section and sso-sync's unit of work. */
export interface SessionDef {
  name: string;
  startUrl: string;
  region: string;
  scopes: string[];
}

/** One account and role the person is assigned, as the portal API returned it. */
export interface Assignment {
  session: string;
  accountId: string;
  accountName: string;
  roleName: string;
}

/** An entry of the portal's answer that could not be used (a field of the wrong type, say), and why. */
export interface UnusableEntry {
  accountId?: string;
  roleName?: string;
  /** What is wrong, quoting the API's values (never a token). */
  problem: string;
}

/** How a part of a name is cased: `lower`, `keep` (as the portal gives it) or `upper`. */
export type NameCase = 'lower' | 'keep' | 'upper';

/** One region, or several: each region of a list gets a profile of its own. */
export type Regions = string | string[];

/** Settings for the roles of an account override (`profiles.accounts.KEY.roles.ROLE`). */
export interface RoleOverride {
  /** A role name, or a glob on role names. */
  key: string;
  alias?: string | undefined;
  region?: Regions | undefined;
  exclude?: boolean | undefined;
}

/** Settings for the accounts one key matches (`profiles.accounts.KEY`): an account id, or a glob on account names. */
export interface AccountOverride {
  key: string;
  alias?: string | undefined;
  region?: Regions | undefined;
  exclude?: boolean | undefined;
  set?: Record<string, string> | undefined;
  roles?: RoleOverride[] | undefined;
}

/** Naming and content rules for generated profiles (settings `profiles:`). */
export interface ProfileRules {
  name: string;
  stripPrefix: string[];
  roleAlias: Record<string, string>;
  excludeRoles: string[];
  excludeAccounts: string[];
  regions: { match: string; region: Regions }[];
  defaultRegion: Regions | undefined;
  set: Record<string, string>;
  /** How the `{account}` part is cased (`lower` by default) and the `{role}` part (`keep` by default). */
  accountCase?: NameCase | undefined;
  roleCase?: NameCase | undefined;
  /** Regular expressions whose matches are removed from the `{account}` and `{role}` parts. */
  accountTrim?: string[] | undefined;
  roleTrim?: string[] | undefined;
  /** Per-account overrides, in the order the settings file gives them. */
  accounts?: AccountOverride[] | undefined;
}

/** One generated `[profile NAME]` section. */
export interface Profile {
  name: string;
  session: string;
  accountId: string;
  accountName: string;
  roleName: string;
  /** Every key of the section in the order written, `sso_session` first (profiles may share a pair). */
  keys: readonly (readonly [string, string])[];
}
