/** A temp HOME with an AWS config and a token cache, an emulator on 127.0.0.1, and the built CLI as a child. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/server.js';
import { outputWaiters } from './output-waiters.js';

/** The built CLI entry. */
export const cliPath = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** An sso-session section as `aws configure sso-session` writes it. */
export const sessionSection = (name = 'mycorp', startUrl = 'https://d-1234567890.awsapps.com/start') =>
  `[sso-session ${name}]\nsso_start_url = ${startUrl}\nsso_region = eu-north-1\nsso_registration_scopes = sso:account:access\n`;

/** What a CLI run printed and how it exited. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A CLI process the test acts on while it runs. */
export interface Running {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the first match of the pattern in stdout + stderr so far (waits up to 20 s, or `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  done: Promise<RunResult>;
}

/** How to run the CLI: `env` is added to the sandbox's; `uid` (and `gid`, else the uid) runs it as another user. */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** The child is killed with SIGKILL after this long (60 s unless told). */
  timeoutMs?: number;
}

/** A test's world; `close()` stops the emulator and removes the temp HOME. */
export interface Sandbox {
  home: string;
  configFile: string;
  emulator: Emulator;
  env: NodeJS.ProcessEnv;
  /** Writes a token the emulator accepts into the AWS CLI's cache for the session; returns it. */
  signIn(session?: string, options?: { expiresInSeconds?: number; startUrl?: string }): string;
  writeConfig(text: string | Buffer): void;
  /**
   * Runs `sso-sync login --no-browser` and plays the browser (follows the authorize redirect to the listener);
   * `env` is added to the sandbox's for that run.
   */
  loginWithBrowser(options?: { env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  /** Runs the CLI to its end (killed after 60 s, or `timeoutMs`). */
  run(args: string[], options?: RunOptions): Promise<RunResult>;
  /** Starts the CLI and lets the test act while it runs (read what it printed, play the browser). */
  start(args: string[], options?: RunOptions): Running;
  close(): Promise<void>;
}

/** Starts a sandbox with an emulator for the given fixture. */
export async function sandbox(options: EmulatorOptions): Promise<Sandbox> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-test-'));
  const emulator = await startEmulator(options);
  const configFile = path.join(home, '.aws', 'config');
  mkdirSync(path.join(home, '.aws', 'sso', 'cache'), { recursive: true, mode: 0o700 });
  // Everything any sso-sync run of this sandbox printed: close() searches it for the emulator's secrets.
  const printed: string[] = [];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_ENDPOINT_URL_SSO: emulator.url,
    AWS_ENDPOINT_URL_SSO_OIDC: emulator.url,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    // The SDK must not find anything of the machine's own AWS set-up.
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, '.aws', 'credentials'),
  };
  const box: Sandbox = {
    home,
    configFile,
    emulator,
    env,
    signIn(session = 'mycorp', opts = {}) {
      const { accessToken, expiresAt } = emulator.issueAccessToken({ expiresInSeconds: opts.expiresInSeconds ?? 3600 });
      const file = path.join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update(session).digest('hex')}.json`);
      const cached = {
        startUrl: opts.startUrl ?? 'https://d-1234567890.awsapps.com/start',
        region: 'eu-north-1',
        accessToken,
        expiresAt: expiresAt.toISOString().replace(/\.\d+Z$/, 'Z'),
      };
      writeFileSync(file, JSON.stringify(cached), { mode: 0o600 });
      return accessToken;
    },
    async loginWithBrowser(opts = {}) {
      const login = box.start(['login', '--no-browser'], { env: opts.env });
      const redirect = await fetch((await login.waitFor(/^ {2}(http\S+)$/m))[1]!, { redirect: 'manual' });
      await fetch(redirect.headers.get('location')!);
      return login.done;
    },
    writeConfig(text) {
      mkdirSync(path.dirname(configFile), { recursive: true });
      writeFileSync(configFile, text);
    },
    start(args, opts = {}) {
      let output = '';
      const { check, waitFor } = outputWaiters(() => output, false, 'in the output');
      const child = spawn(process.execPath, [cliPath, ...args], {
        env: { ...env, ...opts.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        output += d;
        check();
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        output += d;
        check();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      const done = new Promise<RunResult>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          printed.push(stdout, stderr);
          resolve({ code, signal, stdout, stderr });
        });
      });
      return {
        child,
        output: () => output,
        done,
        waitFor: (pattern, timeoutMs = 20_000) => waitFor(pattern, timeoutMs),
      };
    },
    // Async, so that a spawn that throws (a uid this process may not take) is a rejection, as a failed run is.
    async run(args, opts = {}) {
      return box.start(args, opts).done;
    },
    async close() {
      // Every test that uses a sandbox also proves no secret leaked: not in anything sso-sync printed, nor in its
      // log files, state or backups.
      const secrets = emulator.issuedSecrets();
      await emulator.stop();
      // The registration store keeps client secrets on purpose (as the AWS CLI's cache does): private, not searched.
      const files = filesUnder(path.join(home, '.local', 'state'));
      const store = files.filter((f) => f.includes(`${path.sep}registrations${path.sep}`));
      for (const f of store)
        if ((statSync(f).mode & 0o777) !== 0o600) throw new Error(`${f} holds a client secret but is not 0600`);
      const written = files
        .filter((f) => !store.includes(f))
        .map((f) => ({ where: f.slice(home.length), text: readFileSync(f, 'latin1') }));
      rmSync(home, { recursive: true, force: true });
      const places = [...printed.map((text) => ({ where: 'output', text })), ...written];
      const leaks = secrets.flatMap((s) => places.filter((p) => p.text.includes(s)).map((p) => p.where));
      if (leaks.length > 0)
        throw new Error(`a secret issued by the emulator appeared in: ${[...new Set(leaks)].join(', ')}`);
    },
  };
  return box;
}

/** Every file below a directory (none if it does not exist). */
export function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
    );
  } catch {
    return [];
  }
}

/** JSON log lines of a run's output. */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Names of the `[profile …]` sections in a config text. */
export function profileNames(text: string): string[] {
  return [...text.matchAll(/^\[profile ([^\]]+)\]$/gm)].map((m) => m[1]!);
}

/** Gives a whole tree to a user (for tests that must not run as root to see permissions bite). */
export function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, uid, gid);
    else chownSync(full, uid, gid);
  }
}

/** The mtime of a file in nanoseconds, to show a file was not rewritten. */
export function mtimeNs(file: string): bigint {
  return statSync(file, { bigint: true }).mtimeNs;
}
