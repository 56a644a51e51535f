/**
 * `sso-sync service install|uninstall|status`: the systemd user unit (Linux) or the launchd agent (macOS)
 * that runs the daemon. The file is rendered from the package's template with this installation's paths;
 * the service manager is driven through its own commands, run without a shell.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTwoFilesPatch } from 'diff';
import { unsupportedNode } from '../cli/node-version.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { replaceFile } from '../fs/replace-file.js';
import { errorCode, errorMessage, ExitCode, SsoSyncError } from '../errors.js';
import { renderLaunchdPlist } from './launchd-plist.js';
import {
  isWithin,
  launchdLabel,
  serviceFile,
  servicePlan,
  systemdUnitName,
  type ServicePlan,
  type ServicePlatform,
} from './plan.js';
import {
  commandFailed,
  commandLine,
  failedCode,
  firstLine,
  type CommandResult,
  type CommandRunner,
} from './run-command.js';
import { renderSystemdUnit } from './systemd-unit.js';
import { readServiceTemplate } from './template.js';
import { homeDir, tokenCacheDir } from '../paths.js';
import { realConfigDir, realOrNominal } from '../config-file/config-file.js';

/** What `sso-sync service` was asked to do. */
export type ServiceAction = 'install' | 'uninstall' | 'status';

/** Everything `serviceCommand` touches from outside, injected. */
export interface ServiceOptions {
  /** `process.platform`; only linux and darwin have a service manager sso-sync knows. */
  platform: string;
  /** The environment: AWS_CONFIG_FILE, XDG_CONFIG_HOME, XDG_STATE_HOME, SSO_SYNC_SETTINGS, HOME, USER. */
  env: NodeJS.ProcessEnv;
  /** The home directory; default `env.HOME`, else the account's. */
  home?: string;
  /** The user id, for launchd's `gui/<uid>` domain. */
  uid: number;
  /** The Node.js binary the service starts (absolute), normally `process.execPath`. */
  nodePath: string;
  /** The version of that Node.js (`process.versions.node`); install refuses to pin one sso-sync does not run on. */
  nodeVersion?: string;
  /** sso-sync's command-line script (absolute), normally dist/src/cli/main.js: see `defaultCliPath`. */
  cliPath: string;
  /** Print what would be written and run; write nothing, run nothing. */
  dryRun?: boolean;
  /** Runs systemctl or launchctl (without a shell): `execFileRunner(env)`. */
  run: CommandRunner;
  /** Where the report goes (stdout). */
  out: (text: string) => void;
  /** Waits between looks at launchd (default: the system clock). */
  clock?: Clock;
}

/** The CLI script of this installation (dist/src/cli/main.js), found from this module's own place. */
export function defaultCliPath(): string {
  return fileURLToPath(new URL('../cli/main.js', import.meta.url));
}

/** The service of this installation, as install would write it now, and what is on disk. */
interface Service {
  platform: ServicePlatform;
  plan: ServicePlan;
  file: string;
  content: string;
  /** The file as it is now; undefined when there is none. */
  existing: string | undefined;
  /** Directories install creates when missing, with their mode. */
  dirs: ReadonlyArray<{ path: string; mode: number }>;
}

interface Context extends ServiceOptions {
  home: string;
  service: Service;
}

/** Runs `sso-sync service ACTION`; resolves with the exit status, rejects with an SsoSyncError. */
export async function serviceCommand(action: ServiceAction, options: ServiceOptions): Promise<ExitCode> {
  const platform = checkPlatform(options.platform);
  const home = path.resolve(options.home ?? homeDir(options.env));
  for (const [what, p] of [
    ['the Node.js binary', options.nodePath],
    ['the sso-sync script', options.cliPath],
  ] as const) {
    if (!path.isAbsolute(p))
      throw new SsoSyncError('usage', `${what} must be given as an absolute path, not ${JSON.stringify(p)}.`);
  }
  const tooOld = options.nodeVersion === undefined ? undefined : unsupportedNode(options.nodeVersion, options.nodePath);
  if (action === 'install' && tooOld !== undefined)
    throw new SsoSyncError('usage', `the service would run on that Node.js: ${tooOld}`);
  const context: Context = { ...options, home, service: await describeService(platform, options, home) };
  if (options.dryRun) options.out('Dry run: nothing is written and no command runs.\n');
  const act = platform === 'linux' ? systemd : launchd;
  return act[action](context);
}

function checkPlatform(platform: string): ServicePlatform {
  if (platform === 'linux' || platform === 'darwin') return platform;
  throw new SsoSyncError(
    'usage',
    `\`sso-sync service\` installs a systemd user unit (Linux) or a launchd agent (macOS); ` +
      `there is none for ${platform}. ` +
      'Start `sso-sync` (no arguments: the daemon, in the foreground) from whatever starts programs at login there.',
  );
}

// ---------------------------------------------------------------------------------------------------------
// Files and directories

async function readExisting(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw fileFailed(`could not read ${file}`, error, 'Check that it is a readable file, then try again.');
  }
}

function fileFailed(what: string, error: unknown, whatToDo: string): SsoSyncError {
  return new SsoSyncError(failedCode, `${what}: ${errorCode(error) ?? errorMessage(error)}. ${whatToDo}`, {
    cause: error,
  });
}

async function describeService(platform: ServicePlatform, options: ServiceOptions, home: string): Promise<Service> {
  const inputs = { home, env: options.env, nodePath: options.nodePath, cliPath: options.cliPath };
  const file = serviceFile(platform, options.env, home);
  if (platform === 'darwin') {
    const plan = servicePlan(inputs);
    return {
      platform,
      plan,
      file,
      content: renderLaunchdPlist(await readServiceTemplate('launchd'), plan),
      existing: await readExisting(file),
      dirs: [
        { path: path.dirname(file), mode: 0o755 },
        { path: plan.logDir, mode: 0o700 },
      ],
    };
  }
  // The sandbox names directories; where a symbolic link takes writes elsewhere (a config kept with the
  // dotfiles, say), its real directory is added, unless it already lies inside one of the named ones.
  const nominal = servicePlan(inputs);
  const named = await Promise.all(nominal.writablePaths.map(realOrNominal));
  const real = [
    await realConfigDir(nominal.configFile),
    await realOrNominal(tokenCacheDir(home)),
    await realOrNominal(nominal.stateDir),
  ];
  const plan = servicePlan({ ...inputs, realWritableDirs: real.filter((r) => !named.some((n) => isWithin(r, n))) });
  return {
    platform,
    plan,
    file,
    content: renderSystemdUnit(await readServiceTemplate('systemd'), plan),
    existing: await readExisting(file),
    dirs: [{ path: path.dirname(file), mode: 0o755 }, ...plan.writablePaths.map((p) => ({ path: p, mode: 0o700 }))],
  };
}

async function missingDirs(service: Service): Promise<string[]> {
  const missing: string[] = [];
  for (const dir of service.dirs) if (!(await stat(dir.path).catch(() => undefined))) missing.push(dir.path);
  return missing;
}

async function createDirs(service: Service): Promise<void> {
  for (const dir of service.dirs) {
    try {
      await mkdir(dir.path, { recursive: true, mode: dir.mode });
    } catch (error) {
      throw fileFailed(
        `could not create the directory ${dir.path}`,
        error,
        'Make sure it can be created (or is a directory), then install again.',
      );
    }
  }
}

/** Writes the file atomically unless it already holds this content; says whether it wrote. */
async function writeIfChanged(service: Service): Promise<boolean> {
  if (service.existing === service.content) return false;
  try {
    await replaceFile(service.file, service.content, 0o644);
  } catch (error) {
    throw fileFailed(
      `could not write ${service.file}`,
      error,
      'Make sure its directory is writable, then install again.',
    );
  }
  return true;
}

async function removeFile(file: string): Promise<void> {
  try {
    await rm(file, { force: true });
  } catch (error) {
    throw fileFailed(`could not remove ${file}`, error, 'Remove it by hand.');
  }
}

/** One line on the file's state, and the changes when it is out of date. */
function fileState(service: Service): string {
  if (service.existing === undefined)
    return `  not installed (no ${service.file}): run \`sso-sync service install\`.\n`;
  if (service.existing === service.content) return '  installed, up to date.\n';
  const patch = createTwoFilesPatch(
    'installed',
    'what install would write now',
    service.existing,
    service.content,
    '',
    '',
    { context: 0 },
  )
    .split('\n')
    .filter((line) => !line.startsWith('====='))
    .map((line) => `    ${line}`)
    .join('\n')
    .trimEnd();
  return (
    '  installed, but out of date: it differs from what `sso-sync service install` would write now ' +
    '(after an upgrade,\n' +
    '  or a move of Node.js or sso-sync, or another AWS config or state directory). ' +
    'Run `sso-sync service install` to update it.\n' +
    `${patch}\n`
  );
}

function dryRunWrite(context: Context, extra: string[] = []): void {
  const { service, out } = context;
  if (service.existing === service.content) {
    out(`would leave ${service.file} as it is: it already holds what install writes.\n`);
  } else {
    out(`would ${service.existing === undefined ? 'write' : 'replace'} ${service.file} with:\n${service.content}`);
    if (!service.content.endsWith('\n')) out('\n');
  }
  for (const line of extra) out(`${line}\n`);
}

async function dryRunDirs(context: Context): Promise<void> {
  const missing = await missingDirs(context.service);
  if (missing.length > 0) context.out(`would create the directories ${missing.join(', ')}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// Commands

type Command = readonly [string, readonly string[]];

async function runChecked(
  context: Context,
  [command, args]: Command,
  hint: (result: CommandResult) => string,
): Promise<CommandResult> {
  const result = await context.run(command, args);
  if (result.code !== 0) throw commandFailed(command, args, result, hint(result));
  context.out(`ran ${commandLine(command, args)}\n`);
  return result;
}

const systemctl = (...args: string[]): Command => ['systemctl', ['--user', ...args]];

function systemctlHint(context: Context): (result: CommandResult) => string {
  return (result) => {
    if (result.code === 127) {
      return (
        'systemctl was not found: `sso-sync service` needs systemd on Linux. ' +
        'Without it, start `sso-sync` (no arguments) in the background from your session start-up instead.'
      );
    }
    if (/bus|XDG_RUNTIME_DIR|not been booted with systemd|System has not been booted/i.test(result.stderr)) {
      const user = context.env.USER || context.env.LOGNAME || 'YOUR_USER';
      return (
        'No systemd user manager is reachable for you. It comes with a login session; ' +
        'under sudo or su it cannot be reached (run this as that user, in their own login). ' +
        'On a server, enable lingering so that it runs without a session: ' +
        `\`loginctl enable-linger ${user}\`, then log in again and retry. ` +
        (onWsl(context.env)
          ? 'On WSL, turn systemd on: add `[boot]` and `systemd=true` to /etc/wsl.conf, run `wsl --shutdown` ' +
            'from Windows and open the distribution again. '
          : '') +
        'Where there is no systemd (a container, say), run `sso-sync` with no arguments under whatever starts ' +
        'programs there instead: it is the same daemon.'
      );
    }
    return (
      `See what went wrong with \`systemctl --user status ${systemdUnitName}\` and \`journalctl --user -u ` +
      `${systemdUnitName}\`, then try again.`
    );
  };
}

/** Whether this is Linux under WSL, where systemd is off unless turned on. */
function onWsl(env: NodeJS.ProcessEnv): boolean {
  if (env.WSL_DISTRO_NAME) return true;
  try {
    return /microsoft/i.test(readFileSync('/proc/sys/kernel/osrelease', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Runs the commands that load and start the unit just written; when one fails, the unit file goes back to what it
 * was (removed, if it is new), so that nothing is left half-installed, and the error says so.
 */
async function loadWritten(context: Context, commands: readonly Command[], wrote: boolean): Promise<void> {
  const { service } = context;
  try {
    for (const command of commands) await runChecked(context, command, systemctlHint(context));
  } catch (error) {
    if (!wrote || !(error instanceof SsoSyncError)) throw error;
    const restored =
      service.existing === undefined
        ? await rm(service.file, { force: true }).then(() => `${service.file} was removed again`)
        : await replaceFile(service.file, service.existing, 0o644).then(() => `${service.file} was put back as it was`);
    await context.run(...systemctl('daemon-reload'));
    throw new SsoSyncError(error.code, `${error.message}\nNothing is half-installed: ${restored}.`, { cause: error });
  }
}

const systemd: Record<ServiceAction, (context: Context) => Promise<ExitCode>> = {
  async install(context) {
    const { service, out } = context;
    const replacing = service.existing !== undefined && service.existing !== service.content;
    const commands = [systemctl('daemon-reload'), systemctl('enable', '--now', systemdUnitName)];
    // enable --now leaves a running daemon alone: after an upgrade it must restart to run the new paths.
    if (replacing) commands.push(systemctl('restart', systemdUnitName));
    if (context.dryRun) {
      await dryRunDirs(context);
      dryRunWrite(
        context,
        commands.map((c) => `would run ${commandLine(...c)}`),
      );
      return ExitCode.ok;
    }
    // Before anything is written: is there a user manager to install into at all?
    const probe = systemctl('show-environment');
    const reached = await context.run(...probe);
    if (reached.code !== 0) throw commandFailed(probe[0], probe[1], reached, systemctlHint(context)(reached));
    await createDirs(service);
    const wrote = await writeIfChanged(service);
    out(wrote ? `wrote ${service.file}\n` : `${service.file} is up to date\n`);
    await loadWritten(context, commands, wrote);
    const user = context.env.USER || context.env.LOGNAME || 'YOUR_USER';
    out(
      `sso-sync runs in the background now, as the systemd user unit ${systemdUnitName}.\n` +
        `  its log:     journalctl --user -u ${systemdUnitName}\n` +
        '  its state:   sso-sync service status\n' +
        `On a machine you are not logged in to (a server), keep it running with: loginctl enable-linger ${user}\n`,
    );
    return ExitCode.ok;
  },

  async uninstall(context) {
    const { service, out } = context;
    if (service.existing === undefined) {
      out(`sso-sync's systemd user unit is not installed (no ${service.file}): nothing to do.\n`);
      return ExitCode.ok;
    }
    const stop = systemctl('disable', '--now', systemdUnitName);
    const reload = systemctl('daemon-reload');
    if (context.dryRun) {
      out(`would run ${commandLine(...stop)}\nwould remove ${service.file}\nwould run ${commandLine(...reload)}\n`);
      return ExitCode.ok;
    }
    // The file goes whatever systemctl says: a unit that cannot be stopped now must not start again at the next login.
    const stopped = await runChecked(context, stop, systemctlHint(context)).then(
      () => undefined,
      (error: unknown) => (error instanceof SsoSyncError ? error : new SsoSyncError(failedCode, String(error))),
    );
    await removeFile(service.file);
    out(`removed ${service.file}\n`);
    if (stopped !== undefined) {
      await context.run(...reload);
      throw new SsoSyncError(
        stopped.code,
        `${stopped.message}\nThe unit file is removed, so it does not start again; if a daemon is still running, ` +
          'stop it by hand (`pkill -f sso-sync`) or let it end with your session.',
        { cause: stopped },
      );
    }
    await runChecked(context, reload, systemctlHint(context));
    out(`sso-sync's systemd user unit is stopped and removed. Its state and logs stay in ${service.plan.stateDir}.\n`);
    return ExitCode.ok;
  },

  async status(context) {
    const { service, out } = context;
    out(`sso-sync service: systemd user unit ${systemdUnitName}\nunit file: ${service.file}\n${fileState(service)}`);
    if (service.existing === undefined) return ExitCode.ok;
    let code: ExitCode = ExitCode.ok;
    for (const [label, verb] of [
      ['enabled', 'is-enabled'],
      ['active', 'is-active'],
    ] as const) {
      const [command, args] = systemctl(verb, systemdUnitName);
      if (context.dryRun) {
        out(`would run ${commandLine(command, args)}\n`);
        continue;
      }
      // These answer with a word on stdout and an exit code that only restates it (3 for inactive);
      // no word at all means the question itself failed.
      const result = await context.run(command, args);
      const word = firstLine(result.stdout);
      if (word) {
        out(`${label}: ${word}\n`);
      } else {
        out(`${label}: unknown. ${commandFailed(command, args, result, systemctlHint(context)(result)).message}\n`);
        code = ExitCode.aws;
      }
    }
    return code;
  },
};

// ---------------------------------------------------------------------------------------------------------
// launchd

function launchctlHint(context: Context, file: string): (result: CommandResult) => string {
  return (result) => {
    if (result.code === 127) return 'launchctl was not found: `sso-sync service` on macOS needs launchd.';
    if (/domain/i.test(result.stderr) || result.code === 125) {
      return (
        `The gui/${context.uid} domain exists only while you are logged in at the Mac itself (not over SSH alone): ` +
        `log in there and try again.`
      );
    }
    return (
      `Check the file with \`${commandLine('plutil', ['-lint', file])}\`, the agent with \`launchctl print ` +
      `gui/${context.uid}/${launchdLabel}\`, ` +
      `and its logs in ${context.service.plan.logDir}. If an older copy is still loaded, run \`sso-sync service ` +
      `uninstall\`, then install again.`
    );
  };
}

/** Whether the agent is loaded in the user's gui domain (`launchctl print` answers 113 when it is not). */
async function isLoaded(context: Context): Promise<{ loaded: boolean; result: CommandResult }> {
  const args = ['print', `gui/${context.uid}/${launchdLabel}`];
  const result = await context.run('launchctl', args);
  if (result.code === 0) return { loaded: true, result };
  if (result.code === 113 || /could not find service/i.test(result.stderr)) return { loaded: false, result };
  throw commandFailed('launchctl', args, result, launchctlHint(context, context.service.file)(result));
}

/** The lines of `launchctl print` a person wants: state, pid, last exit code. */
function agentState(printed: string): string[] {
  const wanted = ['state', 'pid', 'last exit code'];
  const found = new Map<string, string>();
  for (const line of printed.split('\n')) {
    const m = /^\s*([a-z ]+?)\s*=\s*(.*\S)\s*$/.exec(line);
    if (m && wanted.includes(m[1]!) && !found.has(m[1]!)) found.set(m[1]!, m[2]!);
  }
  return wanted.filter((k) => found.has(k)).map((k) => `${k}: ${found.get(k)}`);
}

const launchd: Record<ServiceAction, (context: Context) => Promise<ExitCode>> = {
  async install(context) {
    const { service, out, uid } = context;
    const target = `gui/${uid}/${launchdLabel}`;
    const print: Command = ['launchctl', ['print', target]];
    const bootout: Command = ['launchctl', ['bootout', target]];
    // A disabled service cannot be bootstrapped, so enable comes first.
    const enable: Command = ['launchctl', ['enable', target]];
    const bootstrap: Command = ['launchctl', ['bootstrap', `gui/${uid}`, service.file]];
    const changing = service.existing !== service.content;
    if (context.dryRun) {
      await dryRunDirs(context);
      dryRunWrite(context, [
        `would run ${commandLine(...print)} (to see whether it is loaded)`,
        ...(changing ? [`would run ${commandLine(...bootout)} if it is loaded`] : []),
        `would run ${commandLine(...enable)}`,
        `would run ${commandLine(...bootstrap)}${changing ? '' : ' unless it is loaded already'}`,
      ]);
      return ExitCode.ok;
    }
    await createDirs(service);
    const wrote = await writeIfChanged(service);
    out(wrote ? `wrote ${service.file}\n` : `${service.file} is up to date\n`);
    const hint = launchctlHint(context, service.file);
    const { loaded } = await isLoaded(context);
    if (loaded && wrote) {
      // The loaded copy is an old one: unload it, and wait (up to 5 s) until launchd has let it go, since a
      // bootstrap while it is still going fails.
      await runChecked(context, bootout, hint);
      for (let i = 0; i < 20 && (await isLoaded(context)).loaded; i++) await (context.clock ?? systemClock).sleep(250);
    }
    await runChecked(context, enable, hint);
    if (!loaded || wrote) await runChecked(context, bootstrap, hint);
    else out(`${launchdLabel} is loaded already, from this file\n`);
    out(
      `sso-sync runs in the background now, as the launchd agent ${launchdLabel}.\n` +
        `  its log:     ${path.join(service.plan.logDir, 'sso-sync.log')} (and sso-sync.err.log)\n` +
        '  its state:   sso-sync service status\n',
    );
    return ExitCode.ok;
  },

  async uninstall(context) {
    const { service, out, uid } = context;
    const target = `gui/${uid}/${launchdLabel}`;
    const bootout: Command = ['launchctl', ['bootout', target]];
    if (context.dryRun) {
      out(
        `would run ${commandLine('launchctl', ['print', target])} (to see whether it is loaded)\nwould run ` +
          `${commandLine(...bootout)} if it is loaded\n`,
      );
      out(
        service.existing === undefined
          ? `${service.file} does not exist: nothing to remove\n`
          : `would remove ${service.file}\n`,
      );
      return ExitCode.ok;
    }
    const { loaded } = await isLoaded(context);
    if (!loaded && service.existing === undefined) {
      out(`sso-sync's launchd agent is not installed (no ${service.file}, nothing loaded): nothing to do.\n`);
      return ExitCode.ok;
    }
    if (loaded) {
      const result = await context.run(...bootout);
      // It may have gone away by itself meanwhile: that is what was wanted.
      if (result.code !== 0 && (await isLoaded(context)).loaded)
        throw commandFailed(...bootout, result, launchctlHint(context, service.file)(result));
      out(`ran ${commandLine(...bootout)}\n`);
    }
    if (service.existing !== undefined) {
      await removeFile(service.file);
      out(`removed ${service.file}\n`);
    }
    out(
      `sso-sync's launchd agent is stopped and removed. Its logs stay in ${service.plan.logDir} and ` +
        `${service.plan.stateDir}.\n`,
    );
    return ExitCode.ok;
  },

  async status(context) {
    const { service, out, uid } = context;
    const target = `gui/${uid}/${launchdLabel}`;
    out(`sso-sync service: launchd agent ${launchdLabel}\nagent file: ${service.file}\n${fileState(service)}`);
    if (context.dryRun) {
      out(`would run ${commandLine('launchctl', ['print', target])}\n`);
      return ExitCode.ok;
    }
    try {
      const { loaded, result } = await isLoaded(context);
      if (!loaded) out('loaded: no\n');
      else out(['loaded: yes', ...agentState(result.stdout)].join('\n') + '\n');
      return ExitCode.ok;
    } catch (error) {
      if (!(error instanceof SsoSyncError)) throw error;
      out(`loaded: unknown. ${error.message}\n`);
      return ExitCode.aws;
    }
  },
};
