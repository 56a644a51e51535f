/** systemd's own tools, as the tests ask them about a unit file: verify it, and dump how a user manager reads it. */
import { spawnSync } from 'node:child_process';
import { errorCode } from '../../src/errors.js';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function missing(tool: string, why: string): never {
  throw new Error(
    `${tool} is needed for this test and is not installed (${why}). On Debian or Ubuntu: apt-get install systemd`,
  );
}

/**
 * `systemd-analyze verify FILE` (system mode: `--user` cannot work without a user runtime directory). It exits
 * 0 even when it ignored a setting it could not parse, so whatever it prints counts as a failure.
 */
export function analyzeVerify(unitFile: string): { code: number | null; output: string } {
  const result = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
  if (errorCode(result.error) === 'ENOENT') missing('systemd-analyze', 'not found on PATH');
  if (result.error) throw result.error;
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The service manager binary, where Debian and the others keep it. */
function systemdBinary(): string {
  for (const candidate of ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'])
    if (existsSync(candidate)) return candidate;
  return missing('systemd', 'no /usr/lib/systemd/systemd');
}

/**
 * How a user manager parses a unit file: `systemd --test --user` loads the units and dumps them without starting
 * anything. It refuses to run as root, so as root it runs as nobody (setpriv, from util-linux), on a copy of the
 * file that nobody can read.
 */
export function userManagerDump(unitFile: string): Map<string, string[]> {
  const runtime = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-runtime-'));
  const unitDir = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-units-'));
  try {
    copyFileSync(unitFile, path.join(unitDir, 'sso-sync.service'));
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      chownSync(runtime, 65534, 65534);
      chmodSync(unitDir, 0o755);
      chmodSync(path.join(unitDir, 'sso-sync.service'), 0o644);
    }
    const env = {
      PATH: process.env.PATH,
      HOME: os.tmpdir(),
      XDG_RUNTIME_DIR: runtime,
      SYSTEMD_UNIT_PATH: `${unitDir}:`,
    };
    const command = [systemdBinary(), '--test', '--user', '--unit=sso-sync.service', '--log-target=console'];
    const [file, args] = asRoot
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...command]]
      : [command[0]!, command.slice(1)];
    const result = spawnSync(file, args, { encoding: 'utf8', env });
    if (errorCode(result.error) === 'ENOENT') missing(file, `${file} not found`);
    if (result.status !== 0)
      throw new Error(`systemd --test --user failed (${result.status}):\n${result.stderr}${result.stdout}`);
    // The dump lists each unit's settings as "\t\tName: value" lines after "-> Unit NAME:".
    const start = result.stdout.indexOf('-> Unit sso-sync.service:');
    if (start < 0) throw new Error(`systemd --test --user did not load sso-sync.service:\n${result.stderr}`);
    const settings = new Map<string, string[]>();
    const lines = result.stdout.slice(start).split('\n').slice(1);
    let lastKey = '';
    for (const line of lines) {
      if (/^\t->|^->/.test(line) && !line.startsWith('\t\t')) break;
      const m = /^\t\t(?:-> )?([A-Za-z]+):\s?(.*)$/.exec(line) ?? /^\t\t\t(Command Line): (.*)$/.exec(line);
      if (!m) continue;
      const key = m[1] === 'Command Line' ? `${lastKey} Command Line` : m[1]!;
      if (m[1] !== 'Command Line') lastKey = m[1]!;
      settings.set(key, [...(settings.get(key) ?? []), m[2]!]);
    }
    return settings;
  } finally {
    rmSync(runtime, { recursive: true, force: true });
    rmSync(unitDir, { recursive: true, force: true });
  }
}

/** Splits a command line as systemd prints it: words, double-quoted ones with backslash escapes. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return words;
}
