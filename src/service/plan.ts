/**
 * What the service of this installation looks like, computed from plain values: where its file goes, the
 * environment it pins, the directories it may write. No I/O here; the caller resolves symbolic links.
 */
import path from 'node:path';
import { daemonNodeFlags } from '../cli/daemon-tiers.js';
import { configHome, configPath, stateDir } from '../paths.js';

/** The launchd label, also the agent's file name; reverse-DNS as launchd expects. */
export const launchdLabel = 'io.github.sso-sync';

/** The systemd user unit's name. */
export const systemdUnitName = 'sso-sync.service';

/** The platforms that have a service manager sso-sync can install into. */
export type ServicePlatform = 'linux' | 'darwin';

/** What the caller knows about this installation and this user. */
export interface ServiceInputs {
  /** The home directory (absolute). */
  home: string;
  /** The environment `sso-sync service install` runs in. */
  env: NodeJS.ProcessEnv;
  /** The Node.js binary that will run the daemon (absolute). */
  nodePath: string;
  /** sso-sync's command-line script, dist/src/cli/main.js (absolute). */
  cliPath: string;
  /**
   * Real paths (symbolic links resolved) of the directories the daemon writes: the directory of the AWS
   * config's real path, the token cache, the state directory. Those outside the usual places are added to
   * the sandbox's writable paths.
   */
  realWritableDirs?: readonly string[];
}

/** The service as install would write it. */
export interface ServicePlan {
  nodePath: string;
  /** Node's options for the daemon's process, before the script (see daemon-tiers.ts). */
  nodeFlags: readonly string[];
  cliPath: string;
  /** Variables pinned in the service, in a fixed order. */
  environment: ReadonlyArray<readonly [string, string]>;
  /** Directories the daemon writes, none inside another; the systemd sandbox allows writes only there. */
  writablePaths: readonly string[];
  /** Where launchd writes the daemon's stdout and stderr. */
  logDir: string;
  /** The AWS config the daemon manages. */
  configFile: string;
  /** sso-sync's state directory. */
  stateDir: string;
}

/** The file the service manager reads: the systemd user unit or the launchd agent. */
export function serviceFile(platform: ServicePlatform, env: NodeJS.ProcessEnv, home: string): string {
  if (platform === 'darwin') return path.join(home, 'Library', 'LaunchAgents', `${launchdLabel}.plist`);
  return path.join(configHome({ ...env, HOME: home }), 'systemd', 'user', systemdUnitName);
}

/** Whether `inner` is `outer` or lies below it (by name; links are not followed). */
export function isWithin(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Keeps the first of each path and drops any path inside one already kept or kept later. */
function outermost(paths: readonly string[]): string[] {
  const kept: string[] = [];
  for (const p of paths) {
    if (kept.some((k) => isWithin(p, k))) continue;
    for (let i = kept.length - 1; i >= 0; i--) if (isWithin(kept[i]!, p)) kept.splice(i, 1);
    kept.push(p);
  }
  return kept;
}

/** Computes the service of this installation. */
export function servicePlan(inputs: ServiceInputs): ServicePlan {
  const home = inputs.home;
  const env: NodeJS.ProcessEnv = { ...inputs.env, HOME: home };
  const configFile = configPath(env);
  const state = path.resolve(stateDir(env));
  const environment: [string, string][] = [
    ['AWS_CONFIG_FILE', configFile],
    ['XDG_STATE_HOME', path.dirname(state)],
  ];
  if (env.XDG_CONFIG_HOME) environment.push(['XDG_CONFIG_HOME', path.resolve(env.XDG_CONFIG_HOME)]);
  if (env.SSO_SYNC_SETTINGS) environment.push(['SSO_SYNC_SETTINGS', path.resolve(env.SSO_SYNC_SETTINGS)]);
  const writablePaths = outermost([
    path.join(home, '.aws'),
    state,
    path.dirname(configFile),
    ...(inputs.realWritableDirs ?? []).map((d) => path.resolve(d)),
  ]);
  return {
    nodePath: inputs.nodePath,
    nodeFlags: daemonNodeFlags,
    cliPath: inputs.cliPath,
    environment,
    writablePaths,
    logDir: path.join(home, 'Library', 'Logs', 'sso-sync'),
    configFile,
    stateDir: state,
  };
}
