/**
 * A throwaway Linux user with a real systemd user manager of its own, as a login would give one: for tests that run
 * as root (as CI does) on a machine whose PID 1 is not systemd. What the manager needs, as measured on such machines:
 * the user, its runtime directory, the marker directory that says "booted with systemd", and cgroups delegated to it
 * in every hierarchy, which it must be started inside (without them `systemd --user` exits 1 without a word).
 * `remove()` takes all of it away again.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  constants,
  copyFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { errorCode, errorMessage } from '../../src/errors.js';

/** How a command run for the test ended and what it printed. */
export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Polls `probe` (every 200 ms) until `done` holds for what it gave, and resolves with that; rejects after `timeoutMs`
 * naming `what` and the last value seen, with `detail()` added. For waits on the manager and on the daemon: every wait
 * is for a positive outcome, and bounded.
 */
export async function poll<T>(
  what: string,
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs: number; detail?: () => string },
): Promise<T> {
  const end = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > end) {
      const detail = options.detail ? `\n${options.detail()}` : '';
      throw new Error(
        `timed out after ${options.timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(value)}${detail}`,
      );
    }
    await sleep(200);
  }
}

/** Where systemd keeps its manager binary (Debian has both once /usr is merged). */
const systemdBinaries = ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'];

/** The directory systemd looks for to decide it was booted with systemd (sd_booted). */
const bootedMarker = '/run/systemd/system';

/** A program's absolute path, looked up on PATH and in the sbin directories root's PATH may lack. */
export function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The cgroup hierarchies a user manager must be started inside: the unified one alone (cgroup v2), or the named
 * systemd one of cgroup v1 plus the unified one when it is mounted beside it (hybrid, as on this kind of machine).
 */
function cgroupHierarchies(): string[] {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return ['/sys/fs/cgroup'];
  if (!existsSync('/sys/fs/cgroup/systemd/cgroup.procs')) return [];
  return [
    '/sys/fs/cgroup/systemd',
    ...(existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? ['/sys/fs/cgroup/unified'] : []),
  ];
}

/** Whether the machine was booted with systemd as init, which starts user managers itself. */
function pidOneIsSystemd(): boolean {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim() === 'systemd';
  } catch {
    return false;
  }
}

/** Why a user manager cannot be started here, one reason a line; empty when it can. */
export function userManagerPrerequisites(): string[] {
  if (process.platform !== 'linux') return [`systemd runs only on Linux, not on ${process.platform}`];
  const reasons: string[] = [];
  const uid = process.getuid?.();
  if (uid !== 0) {
    reasons.push(
      `it must run as root (as CI does), to create a throwaway user with useradd, delegate cgroups to it and start ` +
        `its systemd user manager; this process runs as uid ${uid ?? 'unknown'}`,
    );
  }
  if (!systemdBinaries.some((f) => existsSync(f)))
    reasons.push(`systemd is not installed (no ${systemdBinaries.join(' or ')}; apt-get install systemd)`);
  for (const [program, debianPackage] of [
    ['systemctl', 'systemd'],
    ['useradd', 'passwd'],
    ['userdel', 'passwd'],
    ['unshare', 'util-linux'],
    ['setarch', 'util-linux'],
    ['npm', 'npm, or Node.js from nodejs.org'],
  ] as const) {
    if (!findProgram(program)) reasons.push(`${program} is not installed (${debianPackage})`);
  }
  if (pidOneIsSystemd()) {
    reasons.push(
      'PID 1 is systemd here, and it manages user managers itself (user@UID.service): this test sets one up by hand, ' +
        'as on machines without systemd as init (containers, CI), and would meddle with the cgroups systemd owns',
    );
  }
  if (cgroupHierarchies().length === 0)
    reasons.push('no cgroup hierarchy to delegate to a user manager (neither /sys/fs/cgroup v2 nor a v1 name=systemd)');
  return reasons;
}

/** Options of a command run as the user. */
export interface RunOptions {
  /** Added to the user's environment. */
  env?: NodeJS.ProcessEnv;
  /** Killed with SIGKILL after this long (60 s unless told). */
  timeoutMs?: number;
}

/** The throwaway user and its running manager. */
export interface UserManager {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** XDG_RUNTIME_DIR, /run/user/UID. */
  runtimeDir: string;
  /** The pid of `systemd --user`. */
  managerPid(): number;
  /** The systemd version, as `systemctl --version` gives it (252 for "systemd 252 (252.38-1~deb12u1)"). */
  systemdVersion: number;
  /** The environment of a shell of this user: HOME, USER, PATH (with ~/.local/bin first), XDG_RUNTIME_DIR. */
  env: NodeJS.ProcessEnv;
  /** Runs a program as the user (without a shell), in the home directory. */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** `systemctl --user ARGS` as the user. */
  systemctl(...args: string[]): Promise<CommandResult>;
  /** Unit properties from `systemctl --user show`. */
  show(unit: string, properties: readonly string[]): Promise<Record<string, string>>;
  /** Writes a file below the home as the user would have it: the file and every directory created for it theirs. */
  writeFile(relative: string, text: string, options?: { mode?: number; dirMode?: number }): string;
  /** Copies a file in below the home (a program, say), the copy and every directory created for it the user's. */
  copyIn(source: string, relative: string, mode: number): string;
  /** What the manager printed on stdout and stderr (little: it logs to a journal, and none runs). */
  managerLog: () => string;
  /** Stops the manager, ends every process of the user, removes the cgroups, runtime directory, user and home. */
  remove(): Promise<void>;
}

/** Runs a program and collects its output; never rejects for a failing program (a spawn error is code 127). */
function runProgram(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; uid?: number; gid?: number; cwd?: string; timeoutMs?: number },
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: 127, signal: null, stdout, stderr: `${stderr}${command}: ${errorMessage(error)}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A command line and what it printed, for an assertion's message. */
export function describeRun(what: string, result: CommandResult): string {
  const end = result.signal ? `signal ${result.signal}` : `exit code ${result.code}`;
  return `${what}: ${end}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

/** Runs a program as root and throws with its output unless it exits 0. */
async function rootRun(command: string, args: readonly string[], timeoutMs = 30_000): Promise<CommandResult> {
  const result = await runProgram(command, args, { env: { PATH: process.env.PATH }, timeoutMs });
  if (result.code !== 0) throw new Error(describeRun(`${command} ${args.join(' ')}`, result));
  return result;
}

/** The pids whose real uid is this one (read from /proc). */
function pidsOfUid(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      if (new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Removes a cgroup directory and every cgroup below it, deepest first (their files are the kernel's). */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) removeCgroupTree(path.join(dir, entry.name));
  rmdirSync(dir);
}

/** Creates a directory and the missing ones above it; returns those it created, outermost first. */
function makeDirs(dir: string, mode = 0o755): string[] {
  const created: string[] = [];
  let current = dir;
  while (!existsSync(current)) {
    created.unshift(current);
    current = path.dirname(current);
  }
  for (const d of created) mkdirSync(d, { mode });
  return created;
}

/** Gives a cgroup directory and its files to the user: delegation, as logind does it for user@UID.service. */
function delegate(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir)) chownSync(path.join(dir, entry), uid, gid);
}

/**
 * Creates a user with a unique name (and its home), delegates it cgroups and starts its `systemd --user`, waiting
 * until the manager says it is running. Whatever was set up before a failure is removed again before it throws.
 */
export async function startUserManager(scratchDir: string): Promise<UserManager> {
  const name = `sso-sync-t-${randomBytes(5).toString('hex')}`;
  const undo: (() => void | Promise<void>)[] = [];
  const problems: string[] = [];
  let removed = false;
  const remove = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    // Last set up, first taken away; every step runs even when one before it failed.
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch (error) {
        problems.push(errorMessage(error));
      }
    }
    if (problems.length > 0) throw new Error(`cleaning up the throwaway user ${name} failed:\n${problems.join('\n')}`);
  };
  try {
    return await setUp(name, scratchDir, undo, remove);
  } catch (error) {
    await remove().catch((cleanup: unknown) => problems.push(errorMessage(cleanup)));
    throw error;
  }
}

async function setUp(
  name: string,
  scratchDir: string,
  undo: (() => void | Promise<void>)[],
  remove: () => Promise<void>,
): Promise<UserManager> {
  const useradd = findProgram('useradd')!;
  const userdel = findProgram('userdel')!;
  await rootRun(useradd, ['--create-home', '--user-group', '--shell', '/bin/sh', '--comment', 'sso-sync test', name]);
  const [, , uidText, gidText, , home] = (await rootRun('getent', ['passwd', name])).stdout.trim().split(':');
  const uid = Number(uidText);
  const gid = Number(gidText);
  undo.push(async () => {
    // userdel refuses a user with processes: the steps after this one (run before it) ended them all.
    const result = await runProgram(userdel, ['--remove', name], { env: { PATH: process.env.PATH } });
    if ((await runProgram('getent', ['passwd', name], { env: { PATH: process.env.PATH } })).code === 0)
      throw new Error(describeRun(`userdel --remove ${name}`, result));
    if (home && existsSync(home)) rmSync(home, { recursive: true, force: true });
  });
  if (!home || !Number.isInteger(uid) || uid <= 0) throw new Error(`getent passwd ${name} gave no usable entry`);

  const runtimeDir = `/run/user/${uid}`;
  rmSync(runtimeDir, { recursive: true, force: true }); // a leftover of an earlier user with this uid
  const createdRun = makeDirs(path.dirname(runtimeDir));
  mkdirSync(runtimeDir, { mode: 0o700 });
  chownSync(runtimeDir, uid, gid);
  undo.push(() => {
    rmSync(runtimeDir, { recursive: true, force: true });
    for (const d of createdRun.reverse()) rmdirQuietly(d);
  });
  const createdMarker = makeDirs(bootedMarker);
  undo.push(() => {
    for (const d of createdMarker.reverse()) rmdirQuietly(d);
  });

  // The cgroups logind would give the user: user.slice/user-UID.slice/user@UID.service, owned by the user.
  const slice = path.join('user.slice', `user-${uid}.slice`);
  const service = path.join(slice, `user@${uid}.service`);
  const hierarchies = cgroupHierarchies();
  const createdSlices: string[] = [];
  undo.push(async () => {
    // Every process of the user ends (by pid: they are all this test's), then their cgroups go.
    for (const pid of pidsOfUid(uid)) killQuietly(pid, 'SIGKILL');
    await poll(
      `every process of ${name} to end`,
      () => pidsOfUid(uid),
      (pids) => pids.length === 0,
      {
        timeoutMs: 10_000,
      },
    );
    for (const root of hierarchies) {
      const dir = path.join(root, slice);
      await poll(`the cgroups of ${name} in ${root} to be removable`, () => tryRemoveCgroups(dir), Boolean, {
        timeoutMs: 10_000,
      });
    }
    for (const d of createdSlices.reverse()) rmdirQuietly(d);
  });
  for (const root of hierarchies) {
    if (existsSync(path.join(root, slice))) removeCgroupTree(path.join(root, slice)); // a leftover of this uid
    createdSlices.push(...makeDirs(path.join(root, 'user.slice')));
    mkdirSync(path.join(root, slice));
    mkdirSync(path.join(root, service));
    delegate(path.join(root, service), uid, gid);
  }

  const manager = await launchManager({ name, uid, gid, home, runtimeDir, scratchDir, hierarchies, service });
  undo.push(() => manager.stop());

  const env: NodeJS.ProcessEnv = {
    HOME: home,
    USER: name,
    LOGNAME: name,
    SHELL: '/bin/sh',
    LANG: 'C.UTF-8',
    PATH: [path.join(home, '.local', 'bin'), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    XDG_RUNTIME_DIR: runtimeDir,
  };
  const run = (command: string, args: readonly string[], options: RunOptions = {}) =>
    runProgram(command, args, {
      env: { ...env, ...options.env },
      uid,
      gid,
      cwd: home,
      timeoutMs: options.timeoutMs ?? 60_000,
    });
  const systemctl = (...args: string[]) => run('systemctl', ['--user', ...args], { timeoutMs: 30_000 });
  const user: UserManager = {
    name,
    uid,
    gid,
    home,
    runtimeDir,
    managerPid: () => manager.pid,
    systemdVersion: 0,
    env,
    run,
    systemctl,
    async show(unit, properties) {
      const result = await systemctl('show', `--property=${properties.join(',')}`, unit);
      if (result.code !== 0) throw new Error(describeRun(`systemctl --user show ${unit}`, result));
      const values: Record<string, string> = {};
      for (const line of result.stdout.split('\n')) {
        const at = line.indexOf('=');
        if (at > 0) values[line.slice(0, at)] = line.slice(at + 1);
      }
      return values;
    },
    writeFile(relative, text, options = {}) {
      const file = path.join(home, relative);
      for (const dir of makeDirs(path.dirname(file), options.dirMode ?? 0o755)) chownSync(dir, uid, gid);
      writeFileSync(file, text, { mode: options.mode ?? 0o644 });
      chownSync(file, uid, gid);
      return file;
    },
    copyIn(source, relative, mode) {
      const file = path.join(home, relative);
      for (const dir of makeDirs(path.dirname(file))) chownSync(dir, uid, gid);
      copyFileSync(source, file, constants.COPYFILE_FICLONE);
      chmodSync(file, mode);
      chownSync(file, uid, gid);
      return file;
    },
    managerLog: manager.log,
    remove,
  };

  // Ready once the manager has finished starting its default target (`running`, or `degraded` if a unit failed).
  await poll(
    `the user manager of ${name} to be running`,
    async () => {
      if (manager.exited()) throw new Error(`systemd --user of ${name} exited:\n${manager.log()}`);
      return (await systemctl('is-system-running')).stdout.trim();
    },
    (state) => state === 'running' || state === 'degraded',
    { timeoutMs: 30_000, detail: manager.log },
  );
  const version = /systemd (\d+)/.exec((await rootRun('systemctl', ['--version'])).stdout);
  user.systemdVersion = Number(version?.[1] ?? 0);
  return user;
}

/** rmdir that leaves a directory someone else still uses (not empty) or that is gone already. */
function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (error) {
    if (!['ENOENT', 'ENOTEMPTY', 'EBUSY', 'EEXIST'].includes(errorCode(error) ?? '')) throw error;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if (errorCode(error) !== 'ESRCH') throw error;
  }
}

/** Removes the user's cgroup tree; false while the kernel still counts a process in it (it is let go soon after). */
function tryRemoveCgroups(dir: string): boolean {
  try {
    removeCgroupTree(dir);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EBUSY') return false;
    throw error;
  }
}

interface LaunchInputs {
  name: string;
  uid: number;
  gid: number;
  home: string;
  runtimeDir: string;
  scratchDir: string;
  hierarchies: readonly string[];
  service: string;
}

interface Manager {
  pid: number;
  exited(): boolean;
  log: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `systemd --user` inside the delegated cgroups: a shell, already the user, waits on its stdin while root
 * moves it into user@UID.service in every hierarchy, then becomes the manager. The manager's environment is a clean
 * one, as PAM would give it; its log goes to a file, since no journald runs.
 */
async function launchManager(inputs: LaunchInputs): Promise<Manager> {
  const binary = systemdBinaries.find((f) => existsSync(f))!;
  const logFile = path.join(inputs.scratchDir, `${inputs.name}-manager.log`);
  const logFd = openSync(logFile, 'a');
  const child = spawn('/bin/sh', ['-c', 'read -r _ && exec "$0" --user </dev/null', binary], {
    env: {
      HOME: inputs.home,
      USER: inputs.name,
      LOGNAME: inputs.name,
      SHELL: '/bin/sh',
      LANG: 'C.UTF-8',
      PATH: '/usr/local/bin:/usr/bin:/bin',
      XDG_RUNTIME_DIR: inputs.runtimeDir,
    },
    cwd: inputs.home,
    uid: inputs.uid,
    gid: inputs.gid,
    detached: true,
    stdio: ['pipe', logFd, logFd],
  });
  closeSync(logFd);
  let exitedAt: number | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => {
      exitedAt = Date.now();
      resolve();
    });
    child.on('error', () => {
      exitedAt = Date.now();
      resolve();
    });
  });
  const pid = child.pid;
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const stop = async (): Promise<void> => {
    if (exitedAt !== undefined || pid === undefined) return;
    // SIGTERM: the manager stops its units (the daemon gets its own SIGTERM) and exits.
    killQuietly(pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 20_000))),
    ]);
    clearTimeout(timer);
    if (!stopped) killQuietly(pid, 'SIGKILL');
  };
  if (pid === undefined) throw new Error(`could not start ${binary} --user for ${inputs.name}`);
  try {
    for (const root of inputs.hierarchies) writeFileSync(path.join(root, inputs.service, 'cgroup.procs'), `${pid}\n`);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  child.stdin?.end('go\n');
  child.unref();
  return { pid, exited: () => exitedAt !== undefined, log, stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
