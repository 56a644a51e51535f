/**
 * `sso-sync service install` under a real systemd user manager, end to end: a throwaway user gets its own
 * `systemd --user` (see user-manager.ts), installs sso-sync as the README says (`npm install -g`, with a Node 24 of
 * its own in ~/.local/bin), and the unit is driven through systemctl against the SSO emulator. It needs root (CI runs
 * as root); elsewhere it is skipped and says why, but with CI=true a missing prerequisite fails it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { startEmulator, type Emulator } from '../../src/emulator/server.js';
import { tokenCachePath } from '../../src/paths.js';
import { filesUnder, profileNames, sessionSection } from '../helpers/sandbox.js';
import { unitNodeOptions } from '../service/node-options.js';
import {
  describeRun,
  findProgram,
  poll,
  startUserManager,
  userManagerPrerequisites,
  type CommandResult,
  type UserManager,
} from './user-manager.js';

const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
const unit = 'sso-sync.service';

/** The emulator's organisation: a profile for each of its account-and-role assignments. */
const assignments = builtinFixture().accounts.reduce((n, a) => n + a.roles.length, 0);

/** The Node.js the user runs sso-sync with, in ~/.local/bin. */
const userNode = (user: UserManager) => path.join(user.home, '.local', 'bin', 'node');

/** The AWS config the user wrote before sso-sync came: these bytes must stay exactly as they are. */
const ownConfig = `# my own settings\n[default]\nregion = eu-west-1\noutput = json\n\n${sessionSection()}`;

/** The network settings the test runs with, which the user's `npm install` needs too (proxy, CA certificates). */
const networkVariables = [
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'npm_config_registry',
  'npm_config_cafile',
  'npm_config_proxy',
  'npm_config_https_proxy',
  'npm_config_noproxy',
  'npm_config_strict_ssl',
];

function ok(what: string, result: CommandResult): CommandResult {
  assert.equal(result.code, 0, describeRun(what, result));
  return result;
}

/** The lines of the daemon's log file (the record, as no journald runs) with this event. */
function logEvents(user: UserManager, event: string): Record<string, unknown>[] {
  const file = path.join(user.home, '.local', 'state', 'sso-sync', 'sso-sync.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"event":"${event}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** `npm pack` of this checkout (as built), once, into a directory the throwaway user can read. */
async function packProject(scratch: string): Promise<string> {
  const npm = findProgram('npm')!;
  const packed = await new Promise<CommandResult>((resolve) => {
    const args = ['pack', '--json', '--pack-destination', scratch];
    execFile(npm, args, { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, signal: null, stdout, stderr });
    });
  });
  ok('npm pack', packed);
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  const tarball = path.join(scratch, filename);
  chmodSync(tarball, 0o644);
  return tarball;
}

/**
 * What a user does: a Node.js of their own (this Node 24, copied to ~/.local/bin as a nodejs.org tarball or nvm
 * would put it), then `npm install -g` of the package; npm's global prefix is the one above that Node, ~/.local.
 */
async function installForUser(user: UserManager, tarball: string): Promise<void> {
  const node = user.copyIn(process.execPath, path.relative(user.home, userNode(user)), 0o755);
  const nodeVersion = ok('node --version (as the user)', await user.run(node, ['--version']));
  assert.ok(
    Number(/^v(\d+)\./.exec(nodeVersion.stdout)?.[1]) >= 22,
    `sso-sync needs Node 22 or newer: ${nodeVersion.stdout}`,
  );
  const npm = findProgram('npm')!;
  const env: NodeJS.ProcessEnv = { npm_config_update_notifier: 'false', npm_config_fund: 'false' };
  for (const name of networkVariables) if (process.env[name]) env[name] = process.env[name];
  // npm itself is the machine's (a script run by the `node` found first on PATH: the user's own).
  const npmEnv = { ...env, PATH: `${user.env.PATH}:${path.dirname(npm)}` };
  ok(
    'npm install -g (as the user)',
    await user.run(npm, ['install', '--global', '--no-audit', tarball], { env: npmEnv, timeoutMs: 90_000 }),
  );
  const version = ok('sso-sync --version (as the user)', await user.run('sso-sync', ['--version']));
  assert.match(version.stdout, /\d+\.\d+\.\d+/);
}

/** What the unit's main process looks like in /proc (read as root). */
function processFacts(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1];
  const rootMount = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .find((f) => f[4] === '/');
  return {
    noNewPrivs: field('NoNewPrivs'),
    seccomp: field('Seccomp'),
    umask: field('Umask'),
    exe: readlinkSync(`/proc/${pid}/exe`),
    args: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(1, -1),
    mountNamespace: readlinkSync(`/proc/${pid}/ns/mnt`),
    rootMountOptions: rootMount?.[5] ?? '',
  };
}

/** A probe of the sandbox: each line says whether an act the unit's hardening is meant to stop was allowed. */
const probeScript = `#!/bin/sh
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name=allowed"; else echo "$name=refused"; fi; }
echo "nnp=$(awk '/^NoNewPrivs:/ {print $2}' /proc/self/status)"
echo "seccomp=$(awk '/^Seccomp:/ {print $2}' /proc/self/status)"
try namespaces unshare --user true
f="$HOME/.local/state/sso-sync/probe-suid-$$"; : > "$f"; try suid chmod u+s "$f"; rm -f "$f"
try personality setarch --addr-no-randomize true
g="$HOME/probe-outside-$$"; try write-outside touch "$g"; rm -f "$g"
echo "mnt=$(readlink /proc/self/ns/mnt)"
`;

/**
 * Runs the probe twice: plainly as the user, and as a oneshot unit made of the installed unit's own [Service]
 * settings (its hardening, environment and writable paths), with ExecStart= swapped for the probe.
 */
async function probeHardening(user: UserManager, unitText: string) {
  const script = user.writeFile('sso-sync-probe.sh', probeScript, { mode: 0o755 });
  const out = path.join(user.home, 'sso-sync-probe.out');
  const probeUnit = unitText
    .replace(/^ExecStart=.*$/m, `ExecStart=/bin/sh ${script}`)
    .replace(/^Type=simple$/m, `Type=oneshot\nStandardOutput=file:${out}`)
    .replace(/^Restart(Sec)?=.*\n/gm, '');
  assert.match(probeUnit, /^ExecStart=\/bin\/sh .*sso-sync-probe\.sh$/m);
  const probeFile = user.writeFile(path.join('.config', 'systemd', 'user', 'sso-sync-probe.service'), probeUnit);
  try {
    ok('daemon-reload', await user.systemctl('daemon-reload'));
    ok('systemctl --user start sso-sync-probe.service', await user.systemctl('start', 'sso-sync-probe.service'));
  } finally {
    rmSync(probeFile, { force: true });
    ok('daemon-reload', await user.systemctl('daemon-reload'));
  }
  const parse = (text: string) =>
    Object.fromEntries(text.split('\n').flatMap((l) => (l.includes('=') ? [l.split('=', 2) as [string, string]] : [])));
  const inUnit = parse(readFileSync(out, 'utf8'));
  const plain = parse(ok('the probe as the user', await user.run('/bin/sh', [script])).stdout);
  return { inUnit, plain };
}

/** Waits (polling, bounded) for a positive outcome; 15 s unless told. */
function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 15_000,
  detail?: () => string,
) {
  return poll(what, probe, done, { timeoutMs, detail });
}

/** The last lines of the daemon's log file, each its time, level, event and message: what a timeout shows. */
function logTail(user: UserManager, lines = 20): string {
  const file = path.join(user.home, '.local', 'state', 'sso-sync', 'sso-sync.log');
  if (!existsSync(file)) return `(no log file at ${file})`;
  return readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((line) => {
      const l = JSON.parse(line) as Record<string, unknown>;
      return [l.time, l.level, l.pid, l.event, l.msg].map(String).join(' ');
    })
    .join('\n');
}

/** `sso-sync service status` as the user: exit 0, and what it printed. */
async function serviceStatus(user: UserManager): Promise<string> {
  return ok('sso-sync service status', await user.run('sso-sync', ['service', 'status'])).stdout;
}

/**
 * The user's AWS config and the token a sign-in left, and the one thing a user adds to reach another endpoint (here
 * the emulator): a drop-in, since the unit pins only the paths, not the SDK's endpoint variables.
 */
function setUpHome(user: UserManager, emulator: Emulator): { configFile: string; dropIn: string } {
  const configFile = user.writeFile(path.join('.aws', 'config'), ownConfig, { mode: 0o600, dirMode: 0o700 });
  const { accessToken, expiresAt } = emulator.issueAccessToken({ expiresInSeconds: 3600 });
  const cached = {
    startUrl: 'https://d-1234567890.awsapps.com/start',
    region: 'eu-north-1',
    accessToken,
    expiresAt: expiresAt.toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  const cacheFile = path.relative(user.home, tokenCachePath(user.home, 'mycorp'));
  user.writeFile(cacheFile, JSON.stringify(cached), { mode: 0o600, dirMode: 0o700 });
  const dropIn = user.writeFile(
    path.join('.config', 'systemd', 'user', `${unit}.d`, 'emulator.conf'),
    `[Service]\nEnvironment="AWS_ENDPOINT_URL_SSO=${emulator.url}" "AWS_ENDPOINT_URL_SSO_OIDC=${emulator.url}"\n`,
  );
  return { configFile, dropIn };
}

/** `sso-sync service install`: the unit is active, runs the user's Node and sso-sync, and its first sync lands. */
async function checkInstall(user: UserManager, configFile: string, dropIn: string): Promise<Record<string, string>> {
  const install = ok('sso-sync service install', await user.run('sso-sync', ['service', 'install']));
  assert.match(install.stdout, /^ran systemctl --user enable --now sso-sync\.service$/m);
  await poll(
    'the unit to be active',
    () => user.show(unit, ['ActiveState']),
    (p) => p.ActiveState === 'active',
    {
      timeoutMs: 20_000,
      detail: () => user.managerLog(),
    },
  );
  const config = await poll(
    'the first sync in the AWS config',
    () => readFileSync(configFile, 'utf8'),
    (text) => text.includes('# END sso-sync mycorp'),
    { timeoutMs: 30_000, detail: () => JSON.stringify(logEvents(user, 'sync.failed')) },
  );
  assertWhole(config);
  const unitState = await user.show(unit, ['MainPID', 'ExecStart', 'RestartUSec', 'DropInPaths', 'UnitFileState']);
  const cli = path.join(user.home, '.local', 'lib', 'node_modules', 'sso-sync', 'dist', 'src', 'cli', 'main.js');
  assert.ok(unitState.ExecStart!.includes(`path=${userNode(user)} ;`), `the user's Node: ${unitState.ExecStart}`);
  assert.ok(unitState.ExecStart!.includes(` ${cli} `), `the installed sso-sync: ${unitState.ExecStart}`);
  assert.equal(unitState.DropInPaths, dropIn, 'the drop-in applies');
  assert.equal(unitState.UnitFileState, 'enabled');
  assert.match(await serviceStatus(user), /^ {2}installed, up to date\.\nenabled: enabled\nactive: active\n$/m);
  return unitState;
}

/**
 * Hardening: what systemd applied to the daemon, seen in /proc and by the probe; and, on 252, what it skipped: every
 * directive that needs a mount namespace, although the unit's properties show each one as set.
 */
async function checkHardening(t: TestContext, user: UserManager, pid: number): Promise<void> {
  const facts = processFacts(pid);
  t.diagnostic(`daemon pid ${pid}: ${JSON.stringify(facts)}`);
  assert.equal(facts.exe, userNode(user), 'the daemon is the Node the install ran with');
  assert.deepEqual(
    facts.args.slice(0, unitNodeOptions.length),
    unitNodeOptions,
    "the unit's Node options: V8's tiers off from the start, a young generation of 1 MB, V8's gc",
  );
  assert.equal(facts.noNewPrivs, '1', 'NoNewPrivileges=yes applied');
  assert.equal(facts.seccomp, '2', 'a seccomp filter applied (SystemCallFilter= and its kin)');
  assert.equal(facts.umask, '0077', 'UMask=0077 applied');
  const configured = await user.show(unit, ['ProtectSystem', 'PrivateTmp', 'ProtectKernelTunables', 'ReadWritePaths']);
  assert.equal(configured.ProtectSystem, 'strict', 'the manager read ProtectSystem=strict');
  assert.equal(configured.PrivateTmp, 'yes', 'the manager read PrivateTmp=yes');
  assert.equal(configured.ProtectKernelTunables, 'yes', 'the manager read ProtectKernelTunables=yes');
  assert.ok(configured.ReadWritePaths!.includes(path.join(user.home, '.aws')), 'the manager read ReadWritePaths=');
  const probe = await probeHardening(
    user,
    readFileSync(path.join(user.home, '.config', 'systemd', 'user', unit), 'utf8'),
  );
  t.diagnostic(`probe in the unit: ${JSON.stringify(probe.inUnit)}; as the plain user: ${JSON.stringify(probe.plain)}`);
  assert.equal(probe.inUnit.nnp, '1');
  assert.equal(probe.inUnit.seccomp, '2');
  assert.equal(probe.plain.suid, 'allowed', 'without the unit, a user may set the setuid bit on their own file');
  assert.equal(probe.inUnit.suid, 'refused', 'RestrictSUIDSGID=yes applied');
  assert.equal(probe.plain.personality, 'allowed', 'without the unit, a user may change the personality');
  assert.equal(probe.inUnit.personality, 'refused', 'LockPersonality=yes applied');
  assert.equal(probe.inUnit.namespaces, 'refused', 'RestrictNamespaces=yes applied');
  if (user.systemdVersion === 252) {
    // What the README says of 252: no mount namespace for a user manager's unit, so ProtectSystem=, ReadWritePaths=,
    // PrivateTmp= and ProtectKernelTunables= are skipped.
    const managerNamespace = readlinkSync(`/proc/${user.managerPid()}/ns/mnt`);
    assert.equal(facts.mountNamespace, managerNamespace, 'systemd 252 gave the daemon no mount namespace');
    assert.match(facts.rootMountOptions, /^rw\b/, 'systemd 252 left / writable (ProtectSystem=strict skipped)');
    assert.equal(probe.inUnit['write-outside'], 'allowed', 'systemd 252 skipped ProtectSystem=strict');
  }
}

/** SIGHUP through the manager: the daemon reloads its settings (recorded in the state directory's log) and syncs. */
async function checkReload(user: UserManager, pid: number): Promise<void> {
  const reloads = logEvents(user, 'settings.reloaded').length;
  const syncs = logEvents(user, 'sync.completed').length;
  ok('systemctl --user kill -s HUP', await user.systemctl('kill', '-s', 'HUP', unit));
  await waitFor(
    'settings.reloaded in the log file',
    () => logEvents(user, 'settings.reloaded').length,
    (n) => n > reloads,
    15_000,
    () => logTail(user),
  );
  await waitFor(
    'the sync after the reload',
    () => logEvents(user, 'sync.completed').length,
    (n) => n > syncs,
  );
  assert.equal((await user.show(unit, ['MainPID'])).MainPID, String(pid), 'a reload, not a restart');
}

/** kill -9 of the daemon: the manager restarts it after RestartSec= (30 s in the unit as shipped). */
async function checkRestart(t: TestContext, user: UserManager, pid: number, restartSec: string): Promise<void> {
  assert.equal(restartSec, '30s', 'the unit as shipped restarts after 30 s');
  const starts = logEvents(user, 'daemon.started').length;
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  await waitFor(
    'the unit to wait for its restart',
    () => user.show(unit, ['SubState']),
    (p) => p.SubState === 'auto-restart',
  );
  assert.match(await serviceStatus(user), /^ {2}installed, up to date\.\nenabled: enabled\nactive: activating\n$/m);
  const restarted = await poll(
    'the daemon to be restarted',
    () => user.show(unit, ['MainPID', 'ActiveState', 'NRestarts']),
    (p) => p.ActiveState === 'active' && p.MainPID !== '0' && p.MainPID !== String(pid),
    { timeoutMs: 30_000 + 20_000, detail: () => user.managerLog() },
  );
  const after = Date.now() - killedAt;
  t.diagnostic(`restarted as pid ${restarted.MainPID} after ${after} ms`);
  assert.equal(restarted.NRestarts, '1');
  assert.ok(after >= 29_000, `restarted after ${after} ms, not after RestartSec=30s`);
  await waitFor(
    'the restarted daemon to start',
    () => logEvents(user, 'daemon.started').length,
    (n) => n > starts,
  );
}

/** A stop (right after a HUP, so it may land in that sync): exit 0, success, a whole config, the log a full record. */
async function checkStop(user: UserManager, configFile: string): Promise<void> {
  ok('systemctl --user kill -s HUP', await user.systemctl('kill', '-s', 'HUP', unit));
  ok('systemctl --user stop', await user.systemctl('stop', unit));
  const stopped = await user.show(unit, ['ActiveState', 'Result', 'ExecMainCode', 'ExecMainStatus']);
  assert.deepEqual(stopped, { ActiveState: 'inactive', Result: 'success', ExecMainCode: '1', ExecMainStatus: '0' });
  assertWhole(readFileSync(configFile, 'utf8'));
  assert.match(await serviceStatus(user), /^ {2}installed, up to date\.\nenabled: enabled\nactive: inactive\n$/m);
  // No journald: the state directory's log is the record, and `sso-sync log` shows the first sync's profiles.
  const record = ok('sso-sync log --json', await user.run('sso-sync', ['log', '--json']));
  const added = record.stdout.split('\n').filter((l) => l.includes('"event":"profile.added"'));
  assert.equal(added.length, assignments, 'every profile the first sync added is in the log');
}

/** Uninstall: nothing of it is left; the user's own drop-in stays, as a file uninstall did not write. */
async function checkUninstall(user: UserManager, dropIn: string): Promise<void> {
  const uninstall = ok('sso-sync service uninstall', await user.run('sso-sync', ['service', 'uninstall']));
  assert.match(uninstall.stdout, /is stopped and removed/);
  const unitDir = path.join(user.home, '.config', 'systemd', 'user');
  assert.deepEqual(filesUnder(unitDir), [dropIn], 'no unit file and no enablement link are left');
  const gone = await user.show(unit, ['LoadState', 'ActiveState', 'UnitFileState']);
  assert.deepEqual(gone, { LoadState: 'not-found', ActiveState: 'inactive', UnitFileState: '' });
  const status = await serviceStatus(user);
  assert.match(status, /^ {2}not installed \(no .*sso-sync\.service\): run `sso-sync service install`\.\n$/m);
  assert.doesNotMatch(status, /^(enabled|active):/m);
}

test(
  'sso-sync service install under a real systemd user manager: syncs, hardened, reloads on HUP, restarts after kill -9, stops cleanly, uninstalls without a trace',
  { timeout: 170_000 },
  async (t) => {
    const missing = userManagerPrerequisites();
    if (missing.length > 0) {
      const why = `needs a real systemd user manager, which cannot run here: ${missing.join('; ')}`;
      if (process.env.CI === 'true') assert.fail(`CI=true, so this test must run, but it ${why}`);
      t.skip(why);
      return;
    }
    const started = Date.now();
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-systemd-'));
    chmodSync(scratch, 0o755);
    const owned: { emulator?: Emulator; user?: UserManager } = {};
    t.after(async () => {
      // Every path, failures included: the user (its manager, processes, cgroups, runtime directory, home) goes first.
      try {
        await owned.user?.remove();
      } finally {
        await owned.emulator?.stop();
        rmSync(scratch, { recursive: true, force: true });
      }
    });
    const emulator = (owned.emulator = await startEmulator({ fixture: builtinFixture() }));
    const tarball = await packProject(scratch);
    const user = (owned.user = await startUserManager(scratch));
    t.diagnostic(
      `user ${user.name} (uid ${user.uid}), systemd ${user.systemdVersion}, manager pid ${user.managerPid()}`,
    );
    await installForUser(user, tarball);
    const { configFile, dropIn } = setUpHome(user, emulator);

    const unitState = await checkInstall(user, configFile, dropIn);
    const pid = Number(unitState.MainPID);
    await checkHardening(t, user, pid);
    await checkReload(user, pid);
    await checkRestart(t, user, pid, unitState.RestartUSec!);
    await checkStop(user, configFile);
    await checkUninstall(user, dropIn);

    // No secret in what the service left behind.
    const secrets = emulator.issuedSecrets();
    for (const file of filesUnder(path.join(user.home, '.local', 'state'))) {
      const text = readFileSync(file, 'latin1');
      assert.ok(!secrets.some((s) => text.includes(s)), `a secret issued by the emulator is in ${file}`);
    }
    t.diagnostic(`took ${((Date.now() - started) / 1000).toFixed(1)} s before cleanup`);
  },
);

/** The user's own bytes untouched at the top, then exactly one complete block with a profile per assignment. */
function assertWhole(text: string): void {
  assert.ok(text.startsWith(ownConfig), 'the bytes outside the block are unchanged');
  const rest = text.slice(ownConfig.length);
  assert.match(rest, /^\n# BEGIN sso-sync mycorp [^\n]*\n[\s\S]*\n# END sso-sync mycorp\n$/, 'one whole block');
  assert.equal(rest.split('# BEGIN sso-sync').length, 2, 'exactly one block');
  assert.equal(profileNames(rest).length, assignments);
}
