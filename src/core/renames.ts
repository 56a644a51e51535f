/**
 * Renames: a profile that leaves a block under one name and comes back under another with the same account, role
 * and region is that profile renamed (new naming settings), not one removed and another added.
 */
import type { ProfileChange, ProfileRecord } from './plan.js';
import { keyOf } from './profile-names.js';
import type { Profile } from './types.js';

/** A profile that keeps its account, role and region under a new name. */
export interface ProfileRename {
  from: string;
  to: string;
  accountId: string;
  roleName: string;
  region: string | undefined;
  /** Keys whose values changed too (the region never does: it is part of what makes the profile the same). */
  keys: ProfileChange['keys'];
}

/**
 * What identifies a profile within its session's block: account id, role name and region, and for a role-chain
 * profile (its source's account and role) the role it assumes.
 */
const identity = (
  accountId: string | undefined,
  roleName: string | undefined,
  region: string | undefined,
  roleArn: string | undefined,
) => `${accountId ?? ''}\n${roleName ?? ''}\n${region ?? ''}\n${roleArn ?? ''}`;

/**
 * Pairs the removed sections with the added profiles of the same account, role and region, by name order when one
 * identity has several (a block edited by hand); the rest stay added and removed. `keysChanged` tells the keys whose
 * values differ between an old section's values and a profile.
 */
export function pairRenames(
  added: readonly Profile[],
  removed: readonly ProfileRecord[],
  keysChanged: (values: Iterable<readonly [string, string]>, p: Profile) => ProfileChange['keys'],
): { added: Profile[]; removed: ProfileRecord[]; renamed: ProfileRename[] } {
  if (added.length === 0 || removed.length === 0) return { added: [...added], removed: [...removed], renamed: [] };
  const gone = new Map<string, ProfileRecord[]>();
  for (const r of [...removed].sort((x, y) => (x.name < y.name ? -1 : 1))) {
    if (r.accountId === undefined || r.roleName === undefined) continue;
    const key = identity(r.accountId, r.roleName, r.values.region, r.values.role_arn);
    gone.set(key, [...(gone.get(key) ?? []), r]);
  }
  const renamed: ProfileRename[] = [];
  const paired = new Set<ProfileRecord>();
  const stillAdded: Profile[] = [];
  for (const p of added) {
    const region = keyOf(p, 'region');
    const roleArn = keyOf(p, 'role_arn');
    const old = gone.get(identity(p.accountId, p.roleName, region, roleArn))?.find((r) => !paired.has(r));
    if (old === undefined) {
      stillAdded.push(p);
      continue;
    }
    paired.add(old);
    const keys = keysChanged(Object.entries(old.values), p);
    renamed.push({ from: old.name, to: p.name, accountId: p.accountId, roleName: p.roleName, region, keys });
  }
  return { added: stillAdded, removed: removed.filter((r) => !paired.has(r)), renamed };
}
