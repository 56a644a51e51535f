/**
 * What the merge benchmark's processes share (merge-child.ts, and merge-floor.ts beside it): the portal's assignments,
 * the person's config, written by a process of its own (see persons-config.ts) so that building it counts in no
 * measured process's memory, and the rounds each process times and prints.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

/** One timed sync: its time and CPU time (ms), whether it wrote, and how many profiles it left, where it tells. */
export interface TimedSync {
  ms: number;
  cpuMs: number;
  written: boolean;
  profiles?: number;
}

/** A merge process's command line: `PROFILES CONFIG_MB [ROUNDS]`. */
export function mergeArgs(): { profiles: number; configMb: number; rounds: number } {
  return {
    profiles: Number(process.argv[2] ?? 10_000),
    configMb: Number(process.argv[3] ?? 1.5),
    rounds: Number(process.argv[4] ?? 5),
  };
}

/**
 * The process's rounds (see mergeArgs): each time the person's config is put back, a sync adds PROFILES profiles
 * (written), and the same sync runs again, which must write nothing. Prints one JSON line: the times of each round,
 * the input and output sizes, and the process's peak RSS (MB).
 */
export async function mergeRounds(sync: (file: string) => Promise<TimedSync>): Promise<void> {
  const { profiles, configMb, rounds } = mergeArgs();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-merge-'));
  try {
    const file = path.join(dir, 'config');
    const pristine = path.join(dir, 'persons-config');
    writePersonsConfig(pristine, configMb);
    const runs = {
      write: [] as number[],
      unchanged: [] as number[],
      writeCpu: [] as number[],
      unchangedCpu: [] as number[],
    };
    let inputBytes = 0;
    for (let round = 0; round < rounds; round++) {
      copyFileSync(pristine, file);
      inputBytes = statSync(file).size;
      const first = await sync(file);
      const second = await sync(file);
      if (!first.written || second.written || (first.profiles ?? profiles) !== profiles)
        throw new Error('unexpected sync result');
      runs.write.push(first.ms);
      runs.unchanged.push(second.ms);
      runs.writeCpu.push(first.cpuMs);
      runs.unchangedCpu.push(second.cpuMs);
    }
    const outputBytes = statSync(file).size;
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    console.log(JSON.stringify({ profiles, inputBytes, outputBytes, ...runs, peakRssMb }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
