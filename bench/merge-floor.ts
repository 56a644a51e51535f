/**
 * The floor's process (see floor-sync.ts), run as merge-child.ts is and printing the same JSON line:
 * `node dist/bench/merge-floor.js PROFILES CONFIG_MB [ROUNDS]`. The same config and assignments, the same rounds (the
 * config put back, a sync that writes, the same sync again that writes nothing), the same pause before each sync.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { floorSync } from './floor-sync.js';
import { benchAssignments, mergeArgs, mergeRounds, type TimedSync } from './merge-kit.js';

const assignments = benchAssignments(mergeArgs().profiles);
/** The region of the config's `[sso-session bench]` (see persons-config.ts). */
const region = 'eu-north-1';

/** One timed sync; see merge-child.ts for the pause before it. */
async function sync(file: string): Promise<TimedSync> {
  await sleep(150);
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const { written, repeats } = floorSync(file, assignments, region);
  if (repeats > 0) throw new Error('the bench config has repeats');
  const cpu = process.cpuUsage(cpuAtStart);
  return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, written };
}

await mergeRounds(sync);
