/**
 * The floor's process (see floor-sync.ts), run as merge-child.ts is and printing the same JSON line:
 * `node dist/bench/merge-floor.js PROFILES CONFIG_MB [ROUNDS]`. The same config and assignments, the same rounds (the
 * config put back, a sync that writes, the same sync again that writes nothing), the same pause before each sync.
 */
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { floorSync } from './floor-sync.js';
import { benchAssignments, writePersonsConfig } from './merge-inputs.js';

const profiles = Number(process.argv[2] ?? 10_000);
const configMb = Number(process.argv[3] ?? 1.5);
const rounds = Number(process.argv[4] ?? 5);
const assignments = benchAssignments(profiles);
/** The region of the config's `[sso-session bench]` (see persons-config.ts). */
const region = 'eu-north-1';

/** One timed sync; see merge-child.ts for the pause before it. */
async function sync(file: string): Promise<{ ms: number; cpuMs: number; written: boolean }> {
  await sleep(150);
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const { written, repeats } = floorSync(file, assignments, region);
  if (repeats > 0) throw new Error('the bench config has repeats');
  const cpu = process.cpuUsage(cpuAtStart);
  return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, written };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-floor-'));
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
    if (!first.written || second.written) throw new Error('unexpected sync result');
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
