/**
 * Benchmarks, printed as figures (not asserted): `npm run bench`.
 *  1. Discovery: `sso-sync --once` as a whole process against the emulator, 1,000 accounts x 4 roles,
 *     25 ms latency, at concurrency 1 and at the default, in one run, and their ratio; then the same behind
 *     a 100 requests/s throttle, with the ratio to the floor that throttle allows.
 *  2. Start-up (cold-start.ts): `--help`, `status`, `log` and `--once` with 10 accounts, as new processes, beside
 *     `node -e 0`, with the ratios.
 *  3. Merge, no network (merge.ts): 10,000 profiles into a 1.5 MB config, the sync that writes them and the one
 *     that finds nothing to change, cold (beside the floor, floor-sync.ts, with the ratios) and warm, with peak RSS;
 *     growth with the number of profiles; configs of 12.5 to 50 MB.
 *  4. The daemon (idle.ts): its RSS beside a bare node after a sync of 400 profiles and after an idle minute, and
 *     over 100 scheduled cycles, with its growth.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBenchToken } from './bench-kit.js';
import { generateFixture } from '../src/emulator/fixture.js';
import { startEmulator, type EmulatorOptions } from '../src/emulator/server.js';
import { defaults } from '../src/settings/schema.js';
import { coldStartBenchmarks } from './cold-start.js';
import { mergeBenchmarks } from './merge.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const idleBench = fileURLToPath(new URL('./idle.js', import.meta.url));

function runNode(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

async function discovery(label: string, emulatorOptions: Omit<EmulatorOptions, 'fixture'>, concurrency: number) {
  const fixture = generateFixture({ accounts: 1000, rolesPerAccount: 4, seed: 1 });
  const emulator = await startEmulator({ fixture, ...emulatorOptions });
  const home = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-bench-'));
  try {
    mkdirSync(path.join(home, '.aws', 'sso', 'cache'), { recursive: true });
    writeFileSync(
      path.join(home, '.aws', 'config'),
      '[sso-session bench]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-north-1\n',
    );
    writeFileSync(path.join(home, 'settings.yaml'), `sync:\n  concurrency: ${concurrency}\n`);
    writeBenchToken(home, emulator);
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      AWS_ENDPOINT_URL_SSO: emulator.url,
      SSO_SYNC_SETTINGS: path.join(home, 'settings.yaml'),
      XDG_STATE_HOME: path.join(home, 'state'),
      SSO_SYNC_LOG_LEVEL: 'debug',
    };
    const run = await runNode([cli, '--once'], env);
    const stats = emulator.stats();
    const fetched = run.stdout
      .split('\n')
      .filter((l) => l.includes('"fetch.completed"'))
      .map((l) => JSON.parse(l) as { retries: number; assignments: number })[0];
    const ok = stats.statusCodes[200] ?? 0;
    console.log(
      `${label.padEnd(44)} ${(run.ms / 1000).toFixed(2).padStart(7)} s  exit ${run.code}  requests ${stats.requests} (ok ${ok}, 429 ${stats.throttled})  retries ${fetched?.retries ?? '?'}  assignments ${fetched?.assignments ?? '?'}  max in flight ${stats.maxInFlight}`,
    );
    if (run.code !== 0) console.log(run.stderr);
    return { ms: run.ms, ok, code: run.code };
  } finally {
    await emulator.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `sso-sync benchmarks on Node ${process.version}, ${os.cpus().length} cores; figures from one run, machine shared and noisy\n`,
  );
  console.log('1. Discovery: sso-sync --once as a whole process, 1,000 accounts x 4 roles, 25 ms latency per request');
  const serial = await discovery('concurrency 1', { latencyMs: 25 }, 1);
  const parallel = await discovery(
    `concurrency ${defaults.concurrency} (default)`,
    { latencyMs: 25 },
    defaults.concurrency,
  );
  console.log(`   ratio concurrency 1 / default: ${(serial.ms / parallel.ms).toFixed(1)}x\n`);

  console.log('   Same, behind a 100 requests/s throttle (burst 100)');
  const rate = 100;
  const tSerial = await discovery(
    'concurrency 1, throttled',
    { latencyMs: 25, throttle: { ratePerSecond: rate, burst: rate } },
    1,
  );
  const tParallel = await discovery(
    `concurrency ${defaults.concurrency}, throttled`,
    { latencyMs: 25, throttle: { ratePerSecond: rate, burst: rate } },
    defaults.concurrency,
  );
  const floorMs = ((tParallel.ok - rate) / rate) * 1000; // the burst is free, every later request waits its turn
  console.log(
    `   floor the throttle allows: ${(floorMs / 1000).toFixed(2)} s; default concurrency is ${(tParallel.ms / floorMs).toFixed(2)}x the floor; concurrency 1 / default: ${(tSerial.ms / tParallel.ms).toFixed(1)}x\n`,
  );

  console.log('2. Start-up of the installed command, whole processes');
  await coldStartBenchmarks();
  console.log('');

  console.log(
    '3. Merge, no network: what a sync does after the fetch (read, scan, plan, atomic write, and the check of the ' +
      'result for a section or key given twice), each process new as `sso-sync --once` is; peak RSS from the kernel',
  );
  await mergeBenchmarks();
  console.log('');

  // Its own process, as `npm run bench:idle` runs it, with a short idle wait (the 10-minute one: bench:idle).
  console.log('4. The daemon at rest and over scheduled cycles (idle.ts): 1 idle minute, then 100 cycles');
  const idle = await runNode([idleBench, '1', '100'], process.env);
  process.stdout.write(idle.stdout.replace(/^/gm, '   '));
  if (idle.code !== 0) throw new Error(`the daemon benchmark failed (exit ${idle.code}): ${idle.stderr}`);
}

await main();
