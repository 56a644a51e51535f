/**
 * What the merge benchmarks sync (merge-child.ts, and merge-floor.ts beside it): the portal's assignments, and the
 * person's config, written by a process of its own (see persons-config.ts) so that building it counts in no measured
 * process's memory.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Assignment } from '../src/core/types.js';

const roles = ['AdministratorAccess', 'ReadOnlyAccess', 'PowerUserAccess', 'Billing'];

/** `profiles` assignments of the session `bench`: four roles an account, each account with a name of its own. */
export function benchAssignments(profiles: number): Assignment[] {
  return Array.from({ length: profiles }, (_, i) => ({
    session: 'bench',
    accountId: String(200000000000 + Math.floor(i / 4)),
    accountName: `Bench Account ${Math.floor(i / 4)}`,
    roleName: roles[i % 4]!,
  }));
}

/** Writes the person's config of `megabytes` (see persons-config.ts) to `file`, in a process of its own. */
export function writePersonsConfig(file: string, megabytes: number): void {
  execFileSync(process.execPath, [
    fileURLToPath(new URL('./persons-config.js', import.meta.url)),
    file,
    String(megabytes),
  ]);
}
