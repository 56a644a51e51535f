/**
 * The merge benchmark's own process, so that its peak RSS is its own:
 * `node dist/bench/merge-child.js PROFILES CONFIG_MB [ROUNDS]`.
 *
 * The person's config (CONFIG_MB of hand-written sections, see persons-config.ts) is written by a process of its
 * own, so that building it does not count in this one's peak. Then, ROUNDS times: the config is put back as the
 * person wrote it, a sync adds PROFILES profiles in a new block (written), and the same sync runs again, which
 * must write nothing. Each sync does what `sso-sync --once` does after the fetch (see src/sync/run-once.ts): read
 * the file, scan it for the sessions it defines, plan, write atomically (nothing to write: only the leftover
 * check), then read the file as it left it for a section or key given twice (the AWS CLI's warning).
 *
 * Prints one JSON line: the times of each round (ms), and the CPU time of the process during each sync (ms, its
 * threads' together: V8 compiles and collects garbage on threads of its own), the input and output sizes, and the
 * peak RSS (MB). On a busy machine the CPU time moves less than the time from start to end.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readConfig, removeLeftovers, writeConfig } from '../src/config-file/config-file.js';
import { scanConfig, unreadableIn, type ScannedConfig } from '../src/core/config-text.js';
import { planSync, type PlanInput, type ReadyPlan } from '../src/core/plan.js';
import { defaultRules } from '../src/core/profile-names.js';
import { sessionsFromConfig } from '../src/sync/sessions.js';
import { benchAssignments, mergeArgs, mergeRounds, type TimedSync } from './merge-kit.js';

const assignments = benchAssignments(mergeArgs().profiles);

/** One sync after the fetch, step by step as runOnce takes it; resolves with its time and whether it wrote. */
async function sync(file: string): Promise<TimedSync> {
  // A file changed in the last 100 ms is first watched until it holds still (see readConfig); a config is
  // normally last written minutes before a sync, so the merge is timed on a file left alone that long.
  await sleep(150);
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const snapshot = await readConfig(file);
  const scan = scanConfig(snapshot.text ?? '');
  if (scan.damage.length > 0) throw new Error('refused');
  const [session] = sessionsFromConfig(scan.outside).sessions;
  if (session === undefined) throw new Error('the sso-session is missing');
  const input: Omit<PlanInput, 'text'> = {
    fetched: [{ session, assignments }],
    configuredSessions: [session.name],
    rules: defaultRules,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
  };
  const planFor = (text: string | undefined, scanned?: ScannedConfig): ReadyPlan => {
    const plan = planSync({ ...input, text, scan: scanned });
    if (!plan.ok) throw new Error('refused');
    return plan;
  };
  let plan = planFor(snapshot.text, scan);
  let written = false;
  if (plan.changed) {
    const first = plan;
    const result = await writeConfig(snapshot, (current) => {
      plan = current === snapshot.text ? first : planFor(current);
      return plan.changed ? plan.text : undefined;
    });
    written = result.written;
  } else {
    await removeLeftovers(snapshot.realPath);
  }
  const repeats = unreadableIn(plan.text);
  if (repeats.length > 0) throw new Error(`the bench config has repeats: ${JSON.stringify(repeats[0])}`);
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, written, profiles: plan.outcomes[0]!.profileCount };
}

await mergeRounds(sync);
