/**
 * Start-up benchmark: section 2 of `npm run bench`; alone, `npm run build && node dist/bench/cold-start.js [ROUNDS
 * [CLI]]`. Each run is a new process of the installed command (package.json's `bin`): `--help`, `status`, `log` and
 * `--once` with 10 accounts x 2 roles against the emulator, beside a bare `node -e 0` as the yardstick. `status`
 * runs without a settings file, with a one-line one, with one as a person keeps it (two sessions signed in, a naming
 * rule, an account override), and with that file edited before each run (the first status after an edit reads the
 * file fully; the others find its sessions in the cache the last full read left). The
 * commands take turns, round after round, so that a busy moment of the machine falls on all of them alike; the
 * figures are medians, with the ratios between them from the same run. The first round is also shown alone: it is
 * the first start after an install, before Node's compile cache holds the command's modules. Beside the clock, the
 * CPU time each process used (Linux), which a machine busy with other work stretches far less.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { median, writeBenchToken } from './bench-kit.js';
import { generateFixture } from '../src/emulator/fixture.js';
import { startEmulator } from '../src/emulator/server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** The command as installed: the file package.json's `bin` names. */
export const installedCli = path.join(
  root,
  (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin[
    'sso-sync'
  ]!,
);

/**
 * The CPU time of this process's finished children so far, in ms (Linux: cutime + cstime of /proc/self/stat, in
 * clock ticks of 10 ms; summed over many runs, the rounding evens out). NaN elsewhere.
 */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return NaN;
  }
}

function timed(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; cpuMs: number; code: number | null; stderr: string }> {
  const started = performance.now();
  const cpuBefore = childrenCpuMs();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ ms: performance.now() - started, cpuMs: childrenCpuMs() - cpuBefore, code, stderr }),
    );
  });
}

/** Runs the start-up benchmark and prints its figures; returns the medians in ms by label. */
export async function coldStartBenchmarks(rounds = 9, cli = installedCli): Promise<Record<string, number>> {
  const emulator = await startEmulator({ fixture: generateFixture({ accounts: 10, rolesPerAccount: 2, seed: 2 }) });
  const home = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-bench-'));
  const config = path.join(home, '.aws', 'config');
  const sessionOnly =
    '[sso-session bench]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-north-1\n';
  const settingsText =
    'sessions:\n' +
    '  mycorp:\n    start_url: https://d-2222222222.awsapps.com/start\n    region: eu-west-1\n' +
    '  partner:\n    start_url: https://d-3333333333.awsapps.com/start\n    region: us-east-1\n' +
    'profiles:\n  name: "{account}-{role}"\n  strip_prefix: [mycorp-]\n' +
    '  role_alias: { AdministratorAccess: admin, ReadOnlyAccess: ro }\n' +
    '  accounts:\n    "111111111111": { alias: prod, region: eu-central-1 }\n';
  try {
    mkdirSync(path.join(home, '.aws', 'sso', 'cache'), { recursive: true });
    writeBenchToken(home, emulator);
    writeBenchToken(home, emulator, { session: 'mycorp', startUrl: 'https://d-2222222222.awsapps.com/start' });
    writeBenchToken(home, emulator, { session: 'partner', startUrl: 'https://d-3333333333.awsapps.com/start' });
    mkdirSync(path.join(home, '.config', 'sso-sync'), { recursive: true });
    // A one-line settings file, which --once and log read too.
    writeFileSync(path.join(home, '.config', 'sso-sync', 'settings.yaml'), 'schedule: "*/30 * * * *"\n');
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      AWS_ENDPOINT_URL_SSO: emulator.url,
      XDG_STATE_HOME: path.join(home, 'state'),
      XDG_CACHE_HOME: path.join(home, 'cache'),
    };
    // status where no settings file exists (zero configuration), and where one does.
    const noSettings = { ...env, XDG_CONFIG_HOME: path.join(home, 'no-settings') };
    const [settings, edited] = ['settings', 'edited'].map((dir) => {
      mkdirSync(path.join(home, dir, 'sso-sync'), { recursive: true });
      writeFileSync(path.join(home, dir, 'sso-sync', 'settings.yaml'), settingsText);
      return { ...env, XDG_CONFIG_HOME: path.join(home, dir) };
    });
    const commands: [string, string[], NodeJS.ProcessEnv][] = [
      ['node -e 0', ['-e', '0'], env],
      ['sso-sync --help', [cli, '--help'], env],
      ['sso-sync status', [cli, 'status'], noSettings],
      ['status, 1 line', [cli, 'status'], env],
      ['status, settings', [cli, 'status'], settings!],
      ['status, edited', [cli, 'status'], edited!],
      ['sso-sync log', [cli, 'log'], env],
      ['sso-sync --once', [cli, '--once'], env],
    ];
    const times = new Map<string, number[]>(commands.map(([label]) => [label, []]));
    const cpu = new Map<string, number[]>(commands.map(([label]) => [label, []]));
    for (let round = 0; round < rounds + 1; round++) {
      for (const [label, args, commandEnv] of commands) {
        // One byte other than the run before.
        if (label === 'status, edited')
          writeFileSync(path.join(home, 'edited', 'sso-sync', 'settings.yaml'), `${settingsText}# ${round % 10}\n`);
        if (label === 'sso-sync --once') {
          // A fresh config each time, so that every run writes 20 profiles; left alone past the 100 ms a config
          // changed a moment ago is watched for (see readConfig), as a config usually is.
          writeFileSync(config, sessionOnly);
          await sleep(150);
        }
        const run = await timed(args, commandEnv);
        if (run.code !== 0) throw new Error(`${label} exited ${run.code}: ${run.stderr}`);
        times.get(label)!.push(run.ms);
        cpu.get(label)!.push(run.cpuMs);
      }
    }
    const first = new Map([...times].map(([label, ms]) => [label, ms[0]!]));
    const medians = Object.fromEntries([...times].map(([label, ms]) => [label, median(ms.slice(1))]));
    // CPU time, the mean of the rounds after the first: what a busy machine does not stretch, as it does the clock.
    const cpuMeans = Object.fromEntries(
      [...cpu].map(([label, ms]) => [label, ms.slice(1).reduce((a, b) => a + b, 0) / (ms.length - 1)]),
    );
    const node = medians['node -e 0']!;
    const help = medians['sso-sync --help']!;
    const nodeCpu = cpuMeans['node -e 0']!;
    const helpCpu = cpuMeans['sso-sync --help']!;
    console.log(
      `   each a new process, ${rounds} rounds taking turns (median; the first round, before the compile cache ` +
        'holds anything, apart); status without a settings file, with a one-line one, with two sessions and naming ' +
        'rules, and with that file edited before each run; --once: 10 accounts x 2 roles, ' +
        '20 profiles written',
    );
    for (const [label] of commands) {
      const ms = medians[label]!;
      const c = cpuMeans[label]!;
      console.log(
        `   ${label.padEnd(16)} ${ms.toFixed(0).padStart(5)} ms  ${(ms / node).toFixed(2).padStart(5)}x node -e 0  ` +
          `${(ms / help).toFixed(2).padStart(5)}x --help   first run ${first.get(label)!.toFixed(0).padStart(4)} ms` +
          `   CPU ${c.toFixed(0).padStart(4)} ms  ${(c / nodeCpu).toFixed(2).padStart(5)}x node  ` +
          `${(c / helpCpu).toFixed(2).padStart(5)}x --help`,
      );
    }
    return medians;
  } finally {
    await emulator.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // A second argument measures another build of the command (another checkout's dist/src/cli/main.js).
  const cli = process.argv[3] ? path.resolve(process.argv[3]) : installedCli;
  console.log(`Start-up on Node ${process.version}, ${os.cpus().length} cores, ${cli}`);
  await coldStartBenchmarks(Number(process.argv[2] ?? 9), cli);
}
