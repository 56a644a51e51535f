/**
 * Daemon footprint benchmark: `npm run bench:idle [-- MINUTES [CYCLES [CLI]]]` (default 10 minutes, 100 cycles). Linux
 * only: it reads the kernel's own accounting (/proc/PID/stat utime+stime, /proc/PID/status VmRSS and VmHWM).
 *  1. Idle: the daemon against the emulator with a schedule that does not fire during the run; after its first sync
 *     (400 profiles), and again after MINUTES idle: its RSS, with every process it keeps summed, beside a bare
 *     `node` that only waits on a timer, started with it: the ratio of the two. Also the CPU time used while idle
 *     and the log lines written; and the RSS of a daemon started by hand (no Node options) after its first sync.
 *     Each daemon is started as the service units start it (node, their Node options, the script) unless said.
 *  2. Scheduled cycles: a daemon whose schedule fires every 2 seconds (cron's optional seconds field) runs CYCLES
 *     scheduled syncs of the same 400 profiles; its RSS around cycle 10 and around the last, and the growth between
 *     them, each read once the cycle's worker processes have ended; and the most the daemon and its workers held
 *     together as a sync completed. MINUTES 0 runs this section only.
 */
import { median, writeBenchToken } from './bench-kit.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { daemonNodeFlags } from '../src/cli/daemon-tiers.js';
import { generateFixture } from '../src/emulator/fixture.js';
import { startEmulator, type Emulator } from '../src/emulator/server.js';

const minutes = Number(process.argv[2] ?? 10);
const cycles = Number(process.argv[3] ?? 100);
// A third argument measures another build of the command (another checkout's dist/src/cli/main.js).
const cli = process.argv[4]
  ? path.resolve(process.argv[4])
  : fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const ticks = 100; // USER_HZ on Linux

/** The kernel's figures of one process: CPU time, RSS now and at its peak. */
function sample(pid: number) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks; // utime + stime
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { cpuMs, rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** The process and every process below it, from each process's parent in /proc. */
function processTree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone since the directory was listed.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [p, pp] of parents) if (pp === tree[i]) tree.push(p);
  return tree;
}

/** The RSS of the daemon with every process it keeps, summed, in MB; and how many processes that is. */
function daemonRss(pid: number): { mb: number; processes: number } {
  let mb = 0;
  let processes = 0;
  for (const p of processTree(pid)) {
    try {
      const { rssMb } = sample(p);
      // A worker that has ended and not yet been reaped has no RSS line.
      if (Number.isNaN(rssMb)) continue;
      mb += rssMb;
      processes++;
    } catch {
      // A worker that ended since the tree was read.
    }
  }
  return { mb, processes };
}

/** A temp HOME with the session, a valid token, and the settings given. */
function home(emulator: Emulator, settings: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-idle-'));
  mkdirSync(path.join(dir, '.config', 'sso-sync'), { recursive: true });
  mkdirSync(path.join(dir, '.aws'), { recursive: true });
  writeFileSync(
    path.join(dir, '.aws', 'config'),
    '[sso-session idle]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-north-1\n',
  );
  writeFileSync(path.join(dir, '.config', 'sso-sync', 'settings.yaml'), settings);
  writeBenchToken(dir, emulator, { session: 'idle', expiresInSeconds: 24 * 3600 });
  return dir;
}

/**
 * The daemon, started as the service units start it (node, the options they give it, and the script), or as a person
 * starts `sso-sync` in a terminal (`byHand`: no options); with its output collected.
 */
function startDaemon(emulator: Emulator, dir: string, byHand = false) {
  const child = spawn(process.execPath, [...(byHand ? [] : daemonNodeFlags), cli], {
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      AWS_ENDPOINT_URL_SSO: emulator.url,
      XDG_STATE_HOME: path.join(dir, 'state'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const waiters: { count: number; resolve: () => void }[] = [];
  const completed = () => output.split('"sync.completed"').length - 1;
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
    for (const w of waiters.filter((w) => completed() >= w.count)) w.resolve();
  });
  return {
    child,
    output: () => output,
    /** Resolves once `count` syncs have completed. */
    synced: (count: number) =>
      new Promise<void>((resolve) => (completed() >= count ? resolve() : waiters.push({ count, resolve }))),
  };
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((r) => child.on('close', r));
}

const ratio = (daemon: number, bare: number) => `${(daemon / bare).toFixed(2)}x`;

/** The daemon started by hand (no Node options, as `sso-sync` in a terminal), after its first sync: its RSS. */
async function byHand(emulator: Emulator): Promise<number> {
  const dir = home(emulator, 'schedule: "0 0 1 1 *"\n');
  const daemon = startDaemon(emulator, dir, true);
  try {
    await daemon.synced(1);
    await sleep(2000);
    return daemonRss(daemon.child.pid!).mb;
  } finally {
    await stop(daemon.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Section 1: after the first sync, and after the idle minutes; and the daemon started by hand, after its sync. */
async function idle(emulator: Emulator, bare: number): Promise<void> {
  const handMb = await byHand(emulator);
  const dir = home(emulator, 'schedule: "0 0 1 1 *"\n');
  const daemon = startDaemon(emulator, dir);
  try {
    await daemon.synced(1);
    await sleep(2000); // let the first sync's work settle
    const pid = daemon.child.pid!;
    const start = { ...sample(pid), ...daemonRss(pid), bare: sample(bare).rssMb };
    const linesBefore = daemon.output().split('\n').filter(Boolean).length;
    console.log(
      `1. Idle: daemon pid ${pid} on Node ${process.version}, first sync done (400 profiles); idling ${minutes} min`,
    );
    console.log(
      `   after the first sync: daemon ${start.mb.toFixed(1)} MB (${start.processes} process(es)), bare node ` +
        `${start.bare.toFixed(1)} MB: ${ratio(start.mb, start.bare)}`,
    );
    console.log(
      `   started by hand instead (\`sso-sync\` in a terminal: without the service units' Node options), after its ` +
        `first sync: ${handMb.toFixed(1)} MB: ${ratio(handMb, start.bare)}`,
    );
    await sleep(minutes * 60_000);
    const end = { ...sample(pid), ...daemonRss(pid), bare: sample(bare).rssMb };
    console.log(
      `   after ${minutes} idle minutes: daemon ${end.mb.toFixed(1)} MB (${end.processes} process(es); peak of the ` +
        `daemon process ${end.peakMb.toFixed(1)} MB), bare node ${end.bare.toFixed(1)} MB: ${ratio(end.mb, end.bare)}`,
    );
    const idleCpu = end.cpuMs - start.cpuMs;
    console.log(
      `   CPU time used while idle: ${idleCpu.toFixed(0)} ms in ${minutes} min ` +
        `(${((idleCpu / (minutes * 60_000)) * 100).toFixed(3)}% of one core); total since start ${end.cpuMs.toFixed(0)} ms`,
    );
    const idleLines = daemon
      .output()
      .split('\n')
      .filter(Boolean)
      .slice(linesBefore)
      .map((l) => (JSON.parse(l) as { event: string }).event);
    console.log(
      `   log lines written while idle: ${idleLines.length}${idleLines.length ? `: ${idleLines.join(', ')}` : ''}`,
    );
  } finally {
    await stop(daemon.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The daemon's RSS once its workers have ended (each sync, refresh and schedule reckoning runs in a worker process
 * that ends with it): waits up to a second for the daemon to be alone. Also the RSS with the workers as the sync
 * completed, the moment the most memory is in use.
 */
async function betweenJobs(pid: number): Promise<{ alone: number; busy: number; processes: number }> {
  const busy = daemonRss(pid).mb;
  let now = daemonRss(pid);
  for (let i = 0; i < 50 && now.processes > 1; i++) {
    await sleep(20);
    now = daemonRss(pid);
  }
  return { alone: now.mb, busy, processes: now.processes };
}

/**
 * Section 2: scheduled cycles, every 2 seconds. RSS is read as each cycle completes, once its worker has ended; a
 * level is the median of ten cycles' readings (cycles 6 to 15, and the last ten), so that where the collector
 * happens to be does not decide.
 */
async function scheduled(emulator: Emulator, bare: number): Promise<void> {
  const dir = home(emulator, 'schedule: "*/2 * * * * *"\n');
  const daemon = startDaemon(emulator, dir);
  try {
    const pid = daemon.child.pid!;
    const rss: number[] = [];
    let busiest = 0;
    let notAlone = 0;
    // The start sync is cycle 0; every later one is a scheduled cycle.
    for (let cycle = 1; cycle <= cycles; cycle++) {
      await daemon.synced(cycle + 1);
      const reading = await betweenJobs(pid);
      rss.push(reading.alone);
      busiest = Math.max(busiest, reading.busy);
      if (reading.processes > 1) notAlone++;
    }
    const early = median(rss.slice(5, 15));
    const late = median(rss.slice(-10));
    const bareMb = sample(bare).rssMb;
    console.log(`2. Scheduled cycles of 400 profiles, one every 2 s, ${cycles} of them`);
    console.log(
      `   RSS around cycle 10 (median of cycles 6 to 15): ${early.toFixed(1)} MB (${ratio(early, bareMb)} bare node); ` +
        `around cycle ${cycles} (the last ten): ${late.toFixed(1)} MB (${ratio(late, bareMb)} bare node, ` +
        `${bareMb.toFixed(1)} MB); growth ${(late - early).toFixed(1)} MB; at cycle 10 ${rss[9]!.toFixed(1)} MB, ` +
        `at cycle ${cycles} ${rss[cycles - 1]!.toFixed(1)} MB`,
    );
    console.log(
      `   with a sync's worker, as the sync completed: at most ${busiest.toFixed(1)} MB; ` +
        `readings taken with a worker still running: ${notAlone} of ${cycles}`,
    );
  } finally {
    await stop(daemon.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const emulator = await startEmulator({ fixture: generateFixture({ accounts: 100, rolesPerAccount: 4, seed: 5 }) });
// The yardstick: a node process that only waits on a timer, beside the daemon all along.
const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], { stdio: 'ignore' });
try {
  if (minutes > 0) await idle(emulator, bare.pid!);
  await scheduled(emulator, bare.pid!);
} finally {
  bare.kill();
  await emulator.stop();
}
