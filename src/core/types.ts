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

/** Naming and content rules for generated profiles (settings `profiles:`). */
export interface ProfileRules {
  name: string;
  stripPrefix: string[];
  roleAlias: Record<string, string>;
  excludeRoles: string[];
  excludeAccounts: string[];
  regions: { match: string; region: string }[];
  defaultRegion: string | undefined;
  set: Record<string, string>;
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
