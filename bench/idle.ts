/**
 * Daemon idle benchmark: `npm run bench:idle [-- MINUTES]` (default 10). Starts the daemon against the emulator
 * with a schedule that does not fire during the run, waits for its first sync, then reads the kernel's own
 * accounting of the process (/proc/PID/stat utime+stime, /proc/PID/status VmRSS and VmHWM) at the start and at
 * the end of the idle period. Linux only.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFixture } from '../src/emulator/fixture.js';
import { startEmulator } from '../src/emulator/server.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const minutes = Number(process.argv[2] ?? 10);
const ticks = 100; // USER_HZ on Linux

function sample(pid: number) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks; // utime + stime
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { cpuMs, rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

const emulator = await startEmulator({ fixture: generateFixture({ accounts: 100, rolesPerAccount: 4, seed: 5 }) });
const home = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-idle-'));
try {
  mkdirSync(path.join(home, '.aws', 'sso', 'cache'), { recursive: true });
  mkdirSync(path.join(home, '.config', 'sso-sync'), { recursive: true });
  writeFileSync(
    path.join(home, '.aws', 'config'),
    '[sso-session idle]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-north-1\n',
  );
  writeFileSync(path.join(home, '.config', 'sso-sync', 'settings.yaml'), 'schedule: "0 0 1 1 *"\n');
  const { accessToken, expiresAt } = emulator.issueAccessToken({ expiresInSeconds: 24 * 3600 });
  writeFileSync(
    path.join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update('idle').digest('hex')}.json`),
    JSON.stringify({
      startUrl: 'https://d-1234567890.awsapps.com/start',
      region: 'eu-north-1',
      accessToken,
      expiresAt: expiresAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    }),
  );
  const child = spawn(process.execPath, [cli], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AWS_ENDPOINT_URL_SSO: emulator.url,
      XDG_STATE_HOME: path.join(home, 'state'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('"sync.completed"')) resolve();
    }),
  );
  await new Promise((r) => setTimeout(r, 2000)); // let the first sync's work settle
  const start = sample(child.pid!);
  const linesBefore = output.split('\n').filter(Boolean).length;
  console.log(
    `daemon pid ${child.pid}: first sync done (400 profiles); idling for ${minutes} min on Node ${process.version}`,
  );
  await new Promise((r) => setTimeout(r, minutes * 60_000));
  const end = sample(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('close', r));
  console.log(
    `RSS at the start of the idle period: ${start.rssMb.toFixed(1)} MB; after ${minutes} idle minutes: ${end.rssMb.toFixed(1)} MB (peak ${end.peakMb.toFixed(1)} MB)`,
  );
  console.log(
    `CPU time used while idle: ${(end.cpuMs - start.cpuMs).toFixed(0)} ms in ${minutes} min (${(((end.cpuMs - start.cpuMs) / (minutes * 60_000)) * 100).toFixed(3)}% of one core); total since start ${end.cpuMs.toFixed(0)} ms`,
  );
  const idleLines = output
    .split('\n')
    .filter(Boolean)
    .slice(linesBefore)
    .filter((l) => !l.includes('"daemon.stop'));
  console.log(
    `log lines written while idle: ${idleLines.length}${idleLines.length ? `: ${idleLines.map((l) => (JSON.parse(l) as { event: string }).event).join(', ')}` : ''}`,
  );
} finally {
  await emulator.stop();
  rmSync(home, { recursive: true, force: true });
}
