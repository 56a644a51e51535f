/**
 * Fleet-scale discovery, printed as figures from one run (not asserted): `npm run bench:discovery`.
 *  1. A steady-state scheduled cycle at 2,000 accounts x 4 roles behind a 20 requests/s throttle (the portal's
 *     documented quota; burst 20), 25 ms latency: requests and seconds per cycle, in process as the daemon runs it
 *     (paced as it paces), beside a full scan (what every scheduled sync did before, and what `--once` still does).
 *  2. Portal requests per day per installation at the default settings: a day of 48 scheduled cycles (the clock
 *     moved by 30 minutes between them), unthrottled so that it takes seconds, beside 48 full scans.
 *  3. A fleet of 1,000 installations on the default schedule over a day, computed (not 1,000 processes): each draws
 *     its place as the daemon does (schedule-offset.ts), its schedule and jitter come from schedule-timing.ts and
 *     sync-schedule.ts on a fake clock, its cron times from node-cron; each run sends requests as the cycle of (1)
 *     did, second by second. The peak second over the mean second, beside every daemon firing at :00 and :30.
 *  4. `sso-sync --once` as a whole process, 1,000 accounts x 4 roles behind a 100 requests/s throttle (burst 100):
 *     the full scan against the floor the throttle allows, three runs.
 * The "before" figures were measured on the code before incremental discovery (commit d842e59, `--once`, a full
 * scan, on this machine): they are printed beside today's.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cron from 'node-cron';
import { pino } from 'pino';
import type { Timer } from '../src/clock/clock.js';
import { drawFraction } from '../src/daemon/schedule-offset.js';
import { scheduleTiming } from '../src/daemon/schedule-timing.js';
import { SyncSchedule } from '../src/daemon/sync-schedule.js';
import { writeBenchToken } from './bench-kit.js';
import { generateFixture } from '../src/emulator/fixture.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../src/emulator/server.js';
import { zeroSettings } from '../src/settings/schema.js';
import { createSsoApi } from '../src/aws/sso-api.js';
import { scheduledRate } from '../src/sync/role-scan.js';
import { runOnce } from '../src/sync/run-once.js';
import { writeToken } from '../src/token/cache.js';
import { FakeClock } from '../test/helpers/fake-clock.js';
import { ShiftedClock } from '../test/helpers/shifted-clock.js';
import { accessOnlyToken, syncDeps } from '../test/helpers/in-process.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const startUrl = 'https://d-1234567890.awsapps.com/start';
const minute = 60_000;
const day = 24 * 60 * minute;

/** Measured on commit d842e59 (before), `sso-sync --once` as a whole process on this machine. */
const before = {
  scan20: { seconds: 104.3, requests: 2068, throttled: 48 },
  scan100: [1.153, 1.118, 1.113],
};

/** An emulator and a signed-in home synced in this process; `cycle` runs one sync and measures it. */
async function installation(options: Omit<EmulatorOptions, 'fixture'>, accounts: number, paced: boolean) {
  const emulator = await startEmulator({
    fixture: generateFixture({ accounts, rolesPerAccount: 4, seed: 1 }),
    ...options,
  });
  process.env.AWS_ENDPOINT_URL_SSO = emulator.url;
  const home = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-bench-'));
  mkdirSync(path.join(home, '.aws'), { recursive: true });
  writeFileSync(
    path.join(home, '.aws', 'config'),
    `[sso-session bench]\nsso_start_url = ${startUrl}\nsso_region = eu-north-1\n`,
  );
  const clock = new ShiftedClock();
  const { accessToken } = emulator.issueAccessToken({ expiresInSeconds: 30 * 86400 });
  const expiresAt = new Date(Date.now() + 30 * 86400_000);
  await writeToken(home, 'bench', accessOnlyToken({ startUrl, region: 'eu-north-1', accessToken, expiresAt }));
  // Paced as the daemon paces (sso-api.ts), or not: the count of requests does not depend on it.
  const createApi = (region: string, o: { requestTimeoutMs: number; maxRate?: number }) =>
    createSsoApi(region, clock, paced ? o : { requestTimeoutMs: o.requestTimeoutMs });
  const deps = syncDeps(home, { clock, log: pino({ level: 'silent' }), createApi });
  const settings = zeroSettings();
  /** One cycle; `timeline` gets the requests the emulator received in each 100 ms from its start. */
  /** When the last cycle started: the next one starts exactly 30 minutes later, however long it took. */
  let cycleAt = clock.now();
  const nextCycle = () => {
    cycleAt += 30 * minute;
    clock.setTo(cycleAt);
  };
  const cycle = async (incremental: boolean) => {
    cycleAt = clock.now();
    const requestsBefore = emulator.stats().requests;
    const timeline: number[] = [];
    let last = requestsBefore;
    const sampler = setInterval(() => {
      const now = emulator.stats().requests;
      timeline.push(now - last);
      last = now;
    }, 100);
    const started = performance.now();
    const report = await runOnce(deps, {
      sessions: [],
      dryRun: false,
      allowMassRemoval: false,
      settingsFile: undefined,
      settings,
      incremental,
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    timeline.push(emulator.stats().requests - last);
    const requests = emulator.stats().requests - requestsBefore;
    if (report.exitCode !== 0)
      console.log(`   exit ${report.exitCode}: ${report.failures.map((f) => f.error.message).join('; ')}`);
    return { seconds, requests, timeline, exitCode: report.exitCode };
  };
  return {
    emulator,
    nextCycle,
    cycle,
    async close() {
      await emulator.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** 1. A full scan, then scheduled cycles 30 minutes apart, behind the portal's quota. */
async function steadyState() {
  console.log('1. Scheduled cycle, 2,000 accounts x 4 roles, 20 requests/s (burst 20), 25 ms latency, in process');
  const box = await installation({ latencyMs: 25, throttle: { ratePerSecond: 20 } }, 2000, true);
  try {
    const full = await box.cycle(false);
    const throttled = box.emulator.stats().throttled;
    console.log(
      `   full scan (--once; every scheduled sync before): ${full.seconds.toFixed(1)} s, ${full.requests} requests ` +
        `(${throttled} answered 429), exit ${full.exitCode}; before: ${before.scan20.seconds} s, ${before.scan20.requests}`,
    );
    const cycles = [];
    for (let i = 0; i < 2; i++) {
      // Half an hour later; the throttle's bucket, which real time would have filled, fills in a second.
      await new Promise((r) => setTimeout(r, 1100));
      box.nextCycle();
      cycles.push(await box.cycle(true));
    }
    const seconds = cycles.map((c) => c.seconds);
    const requests = cycles.map((c) => c.requests);
    console.log(
      `   scheduled cycle (2, 30 min apart; paced at ${scheduledRate} requests/s): ${mean(seconds).toFixed(1)} s (${Math.min(...seconds).toFixed(1)} to ` +
        `${Math.max(...seconds).toFixed(1)}), ${mean(requests).toFixed(0)} requests (${Math.min(...requests)} to ` +
        `${Math.max(...requests)}); goal <= 5 s and <= 200`,
    );
    console.log(
      `   ratio before / now: ${(before.scan20.seconds / mean(seconds)).toFixed(1)}x fewer seconds, ` +
        `${(before.scan20.requests / mean(requests)).toFixed(1)}x fewer requests per cycle`,
    );
    const floor = (mean(requests) - 20) / 20;
    console.log(
      `   at full speed, the throttle's floor for ${mean(requests).toFixed(0)} requests would be ${floor.toFixed(1)} s\n`,
    );
    return { cycle: cycles.at(-1)!.timeline, full: full.timeline, fullRequests: full.requests };
  } finally {
    await box.close();
  }
}

/** 2. A day of scheduled cycles at the default settings. */
async function perDay() {
  console.log('2. Requests per day per installation, default settings (every 30 min, roles_max_age 6h), 2,000 x 4');
  // Unpaced and unthrottled, so that a day takes a minute: neither changes how many requests a cycle sends.
  const box = await installation({ latencyMs: 25 }, 2000, false);
  try {
    const full = await box.cycle(false);
    let requests = 0;
    for (let i = 0; i < 48; i++) {
      box.nextCycle();
      requests += (await box.cycle(true)).requests;
    }
    const fullDay = 48 * full.requests;
    console.log(`   48 scheduled cycles: ${requests} requests; before (48 full scans of ${full.requests}): ${fullDay}`);
    console.log(`   ratio: ${(fullDay / requests).toFixed(1)}x fewer (goal >= 20x)\n`);
  } finally {
    await box.close();
  }
}

/** The run times of the default schedule of one installation over a day, from the daemon's own schedule code. */
async function runTimes(start: number): Promise<number[]> {
  const clock = new FakeClock(start);
  const timing = scheduleTiming(zeroSettings(), drawFraction());
  const fired: number[] = [];
  // node-cron's own parser gives the cron times; the fake clock fires them.
  const task = cron.createTask(timing.expression, () => undefined);
  const matches = task.getNextRuns(50).map((d) => d.getTime());
  await task.destroy();
  const schedule = new SyncSchedule({
    clock,
    schedule: (_expression, task) => {
      let timer: Timer | undefined;
      const arm = () => {
        const next = matches.find((m) => m > clock.now());
        if (next === undefined) return;
        timer = clock.setTimer(next - clock.now(), () => {
          arm();
          task();
        });
      };
      arm();
      return { stop: () => timer?.cancel(), nextRun: () => undefined };
    },
    recordNextRun: () => Promise.resolve(),
    random: Math.random,
    fire: () => fired.push(clock.now()),
  });
  schedule.set(timing);
  for (let t = 0; t < day + 2 * minute; t += 10 * minute) await clock.advance(10 * minute);
  schedule.stop();
  return fired.filter((t) => t >= start && t < start + day);
}

/** 3. 1,000 installations over a day: requests in each second, peak over mean. */
async function fleet(profile: { cycle: number[]; full: number[] }) {
  console.log('3. Fleet: 1,000 installations on the default schedule over a day (computed; see the file comment)');
  const start = Math.ceil(Date.now() / (30 * minute)) * 30 * minute;
  const load = (runs: number[][], timeline: number[]) => {
    const perSecond = new Float64Array(day / 1000 + 600);
    for (const times of runs)
      for (const t of times) timeline.forEach((n, i) => (perSecond[Math.floor((t - start) / 1000 + i / 10)]! += n));
    const total = perSecond.reduce((a, b) => a + b, 0);
    return { peak: Math.max(...perSecond), mean: total / (day / 1000) };
  };
  const runs: number[][] = [];
  for (let i = 0; i < 1000; i++) runs.push(await runTimes(start));
  const now = load(runs, profile.cycle);
  const every = Array.from({ length: 48 }, (_, i) => start + i * 30 * minute);
  const old = load(
    Array.from({ length: 1000 }, () => every),
    profile.full,
  );
  console.log(`   runs per installation: ${mean(runs.map((r) => r.length)).toFixed(1)} a day`);
  console.log(
    `   now: peak ${now.peak.toFixed(0)} requests in one second, mean ${now.mean.toFixed(1)}/s: ` +
      `${(now.peak / now.mean).toFixed(2)}x (goal <= 2x)`,
  );
  console.log(
    `   before (every daemon at :00 and :30, full scans): peak ${old.peak.toFixed(0)}, mean ${old.mean.toFixed(1)}/s: ` +
      `${(old.peak / old.mean).toFixed(1)}x\n`,
  );
}

/** `sso-sync --once` as a whole process; when the emulator saw the first and the last request. */
async function onceProcess(emulator: Emulator) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-bench-'));
  try {
    mkdirSync(path.join(home, '.aws', 'sso', 'cache'), { recursive: true });
    writeFileSync(
      path.join(home, '.aws', 'config'),
      `[sso-session bench]\nsso_start_url = ${startUrl}\nsso_region = eu-north-1\n`,
    );
    writeBenchToken(home, emulator, { startUrl });
    let first: number | undefined;
    let last = 0;
    emulator.setReplyHook((_route, reply) => {
      first ??= performance.now();
      last = performance.now();
      return reply;
    });
    // Left alone past the 100 ms a just-changed config is watched for, as a config usually is.
    await new Promise((r) => setTimeout(r, 150));
    const started = performance.now();
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      AWS_ENDPOINT_URL_SSO: emulator.url,
      XDG_STATE_HOME: path.join(home, 'state'),
    };
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [cli, '--once'], { env, stdio: 'ignore' });
      child.on('close', resolve);
    });
    return { ms: performance.now() - started, scanMs: last - (first ?? last), code };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** 4. The full scan against the floor at 100 requests/s. */
async function floor100() {
  console.log(
    '4. Full scan: sso-sync --once as a process, 1,000 accounts x 4 roles, 100 requests/s (burst 100), 25 ms',
  );
  const ratios: number[] = [];
  for (let i = 0; i < 3; i++) {
    const emulator = await startEmulator({
      fixture: generateFixture({ accounts: 1000, rolesPerAccount: 4, seed: 1 }),
      latencyMs: 25,
      throttle: { ratePerSecond: 100, burst: 100 },
    });
    try {
      const run = await onceProcess(emulator);
      const stats = emulator.stats();
      const ok = stats.statusCodes[200] ?? 0;
      const floorMs = ((ok - 100) / 100) * 1000; // the burst is free, every later request waits its turn
      ratios.push(run.ms / floorMs);
      console.log(
        `   run ${i + 1}: ${(run.ms / 1000).toFixed(2)} s, exit ${run.code}, ${ok} requests answered, ${stats.throttled} ` +
          `answered 429; floor ${(floorMs / 1000).toFixed(2)} s: ${(run.ms / floorMs).toFixed(3)}x the floor ` +
          `(the scan alone, first request to last: ${(run.scanMs / floorMs).toFixed(3)}x)`,
      );
    } finally {
      await emulator.stop();
    }
  }
  console.log(
    `   now ${Math.min(...ratios).toFixed(2)}x to ${Math.max(...ratios).toFixed(2)}x the floor (goal <= 1.1x); ` +
      `before ${Math.min(...before.scan100).toFixed(2)}x to ${Math.max(...before.scan100).toFixed(2)}x`,
  );
}

console.log(
  `sso-sync discovery benchmarks on Node ${process.version}, ${os.cpus().length} cores; one run, machine shared\n`,
);
const profile = await steadyState();
await perDay();
await fleet(profile);
await floor100();
