/** The command line: parsed with node:util's parseArgs, strictly, into what the person asked for. */
import { parseArgs } from 'node:util';
import { errorCode, errorMessage, SsoSyncError } from '../errors.js';
import { nearest } from '../core/nearest.js';
import { helpTopics, type HelpTopic } from './help.js';
import { unsupportedNode } from './node-version.js';

/** The shells sso-sync writes a completion script for. */
export const completionShells = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof completionShells)[number];

/** What the command line asks for. */
export type Command =
  | { kind: 'help'; topic?: HelpTopic }
  | { kind: 'version' }
  | {
      kind: 'once';
      sessions: string[];
      dryRun: boolean;
      /** Print the blocks the sync would write, on stdout; write nothing. */
      print: boolean;
      /** What a scheduled cycle does: roles listed only for new accounts and those due. */
      incremental: boolean;
      allowMassRemoval: boolean;
      settingsFile: string | undefined;
      logLevel: string | undefined;
    }
  | {
      kind: 'login';
      session: string | undefined;
      deviceCode: boolean;
      noBrowser: boolean;
      timeoutSeconds: number;
      settingsFile: string | undefined;
      logLevel: string | undefined;
    }
  | {
      kind: 'init';
      startUrl: string | undefined;
      region: string | undefined;
      session: string | undefined;
      noService: boolean;
      deviceCode: boolean;
      noBrowser: boolean;
      timeoutSeconds: number;
      settingsFile: string | undefined;
      logLevel: string | undefined;
    }
  | { kind: 'daemon'; settingsFile: string | undefined; logLevel: string | undefined }
  | { kind: 'status'; json: boolean; settingsFile: string | undefined }
  | { kind: 'log'; since: string | undefined; session: string | undefined; json: boolean }
  | { kind: 'service'; action: 'install' | 'uninstall' | 'status'; dryRun: boolean }
  | { kind: 'completion'; shell: CompletionShell }
  /** Role credentials for a credential-process profile (what its credential_process line runs). */
  | { kind: 'credentials'; profile: string; logLevel: string | undefined }
  /** The session names a completion script offers (what `completion sessions` prints). */
  | { kind: 'completion-sessions'; settingsFile: string | undefined };

/** The text `sso-sync --help` prints. */
export const usage = `sso-sync: keeps the IAM Identity Center profiles in your AWS config in sync

Usage:
  sso-sync                        run the daemon in the foreground (what the service units start)
  sso-sync --once [--dry-run]     sync now (every account's roles), then exit
  sso-sync --once --incremental   sync now as a scheduled sync does (roles of new accounts and of those due)
  sso-sync --once --print         print the blocks the sync would write, on stdout; write nothing
  sso-sync init                   first run: asks for the start URL and region, adds the sso-session,
                                  signs in, syncs, offers the service (see sso-sync help init)
  sso-sync login                  sign in (the AWS CLI shares the token), then sync that session
  sso-sync status [--json]        token expiry, last sync and its outcome, profiles, the daemon
  sso-sync log [--since 7d] [--session NAME] [--json]
                                  history of added, removed and changed profiles, held syncs, sign-ins
  sso-sync service install|uninstall|status [--dry-run]
                                  the systemd user unit (Linux) or launchd agent (macOS)
  sso-sync credentials --profile NAME
                                  role credentials for a profile of profiles.style credential-process
  sso-sync completion bash|zsh|fish
                                  a shell completion script: source <(sso-sync completion bash)
  sso-sync help [COMMAND]         a command's own options and examples (also: sso-sync COMMAND --help)
  sso-sync --help | --version

Options:
  --once                  run one sync cycle and exit
  --dry-run               print the diff the sync would make to the AWS config; write nothing
  --incremental           with --once: list roles only for new accounts and those due (sync.roles_max_age)
  --print                 with --once: print the managed blocks the sync would write; write nothing
  --session NAME          sync only this sso-session (repeatable)
  --settings FILE         settings file (default: $SSO_SYNC_SETTINGS, else $XDG_CONFIG_HOME/sso-sync/settings.yaml)
  --allow-mass-removal    apply a result that removes every profile of a block, or more than sync.max_removal_share
  --log-level LEVEL       trace, debug, info (default), warn, error, fatal or silent (also SSO_SYNC_LOG_LEVEL)

Options of login:
  --session NAME          the sso-session to sign in to (needed when several are configured)
  --device-code           use the device code flow instead of a browser redirect to this machine
  --no-browser            do not open a browser; print the URL to open elsewhere
  --timeout SECONDS       how long to wait for the sign-in (default 300)

Options of init (the answers it would ask for; with all of them it runs without a terminal):
  --start-url URL         the AWS access portal's address, e.g. https://d-1234567890.awsapps.com/start
  --region REGION         the region of IAM Identity Center, e.g. eu-west-1
  --session NAME          the sso-session's name, or one already in the config to use
  --no-service            do not offer to install the background service
  and login's --device-code, --no-browser and --timeout, for its sign-in

Options of status, log and service:
  --json                  status and log: one JSON object (status) or one per line (log), for scripts
  --since WHEN            log: only what happened since 30m, 12h, 7d, 2w or a date
  --dry-run               service: print the file and the commands; write and run nothing

Environment: AWS_CONFIG_FILE, HOME, AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL_SSO_OIDC, BROWSER, SSO_SYNC_SETTINGS,
SSO_SYNC_LOG_LEVEL, XDG_CONFIG_HOME, XDG_STATE_HOME, NO_COLOR.
Exit codes: 0 success, 1 AWS failure, held sync or failed service command, 2 bad usage or settings,
3 sign-in required, 4 AWS config refused, 130 init stopped at a prompt (Ctrl-C, Ctrl-D).
`;

/** Log levels accepted by --log-level and SSO_SYNC_LOG_LEVEL. */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Checks a log level from the command line or the environment. */
export function checkLogLevel(level: string | undefined, where: string): string | undefined {
  if (level !== undefined && !logLevels.includes(level)) {
    throw new SsoSyncError('usage', `${where} must be one of ${logLevels.join(', ')} (got ${JSON.stringify(level)}).`);
  }
  return level;
}

/** Every option of every command; each command then says which of them it takes. */
const options = {
  once: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  incremental: { type: 'boolean' },
  print: { type: 'boolean' },
  profile: { type: 'string' },
  session: { type: 'string', multiple: true },
  settings: { type: 'string' },
  'allow-mass-removal': { type: 'boolean' },
  'log-level': { type: 'string' },
  'device-code': { type: 'boolean' },
  'no-browser': { type: 'boolean' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  since: { type: 'string' },
  'start-url': { type: 'string' },
  region: { type: 'string' },
  'no-service': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** The options each command takes (`once`: sso-sync --once; `daemon`: sso-sync with no command). */
export const optionsOfCommand = {
  once: ['once', 'dry-run', 'print', 'incremental', 'session', 'settings', 'allow-mass-removal', 'log-level'],
  daemon: ['settings', 'log-level'],
  login: ['session', 'device-code', 'no-browser', 'timeout', 'settings', 'log-level'],
  init: [
    'start-url',
    'region',
    'session',
    'no-service',
    'device-code',
    'no-browser',
    'timeout',
    'settings',
    'log-level',
  ],
  status: ['json', 'settings'],
  log: ['since', 'session', 'json'],
  service: ['dry-run'],
  completion: [],
  credentials: ['profile', 'log-level'],
} as const satisfies Record<string, readonly (keyof typeof options)[]>;

/** The options given, as parseArgs returns them. */
type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true }>>['values'];

/** Refuses an option given that `command` does not take. */
function only(v: Values, allowed: readonly string[], command: string): void {
  const stray = Object.keys(v).filter((k) => !allowed.includes(k));
  if (stray.length > 0)
    throw new SsoSyncError('usage', `--${stray[0]!} does not go with ${command}. Run \`sso-sync --help\`.`);
}

/** The --timeout of a sign-in, in seconds. */
function timeoutOf(v: Values): number {
  const timeout = v.timeout === undefined ? 300 : Number(v.timeout);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3600)
    throw new SsoSyncError('usage', `--timeout takes whole seconds from 1 to 3600 (got ${JSON.stringify(v.timeout)}).`);
  return timeout;
}

function parseLogin(v: Values): Command {
  only(v, optionsOfCommand.login, 'login');
  if ((v.session?.length ?? 0) > 1)
    throw new SsoSyncError('usage', 'login signs in to one sso-session at a time: give --session once.');
  const timeout = timeoutOf(v);
  return {
    kind: 'login',
    session: v.session?.[0],
    deviceCode: v['device-code'] ?? false,
    noBrowser: v['no-browser'] ?? false,
    timeoutSeconds: timeout,
    settingsFile: v.settings,
    logLevel: v['log-level'],
  };
}

/** `sso-sync init`: the answers given as options; the rest is asked at the terminal. */
function parseInit(v: Values): Command {
  only(v, optionsOfCommand.init, 'init');
  if ((v.session?.length ?? 0) > 1)
    throw new SsoSyncError('usage', 'init sets up one sso-session: give --session once.');
  return {
    kind: 'init',
    startUrl: v['start-url'],
    region: v.region,
    session: v.session?.[0],
    noService: v['no-service'] ?? false,
    deviceCode: v['device-code'] ?? false,
    noBrowser: v['no-browser'] ?? false,
    timeoutSeconds: timeoutOf(v),
    settingsFile: v.settings,
    logLevel: v['log-level'],
  };
}

function parseService(v: Values, rest: readonly string[]): Command {
  const action = rest[0];
  if (rest.length !== 1 || (action !== 'install' && action !== 'uninstall' && action !== 'status')) {
    throw new SsoSyncError(
      'usage',
      'sso-sync service takes install, uninstall or status (and --dry-run): ' +
        'e.g. `sso-sync service install --dry-run`.',
    );
  }
  only(v, optionsOfCommand.service, `service ${action}`);
  return { kind: 'service', action, dryRun: v['dry-run'] ?? false };
}

function parseLog(v: Values): Command {
  only(v, optionsOfCommand.log, 'log');
  if ((v.session?.length ?? 0) > 1)
    throw new SsoSyncError('usage', 'log filters on one sso-session: give --session once.');
  return { kind: 'log', since: v.since, session: v.session?.[0], json: v.json ?? false };
}

/** `sso-sync` with no command: the daemon, or one sync with --once. */
function parseSync(v: Values): Command {
  if (v['dry-run'] && !v.once)
    throw new SsoSyncError('usage', '--dry-run goes with --once (or service): `sso-sync --once --dry-run`.');
  if (v.incremental && !v.once)
    throw new SsoSyncError('usage', '--incremental goes with --once: `sso-sync --once --incremental`.');
  if (v.print && !v.once) throw new SsoSyncError('usage', '--print goes with --once: `sso-sync --once --print`.');
  if (v.print && v['dry-run'])
    throw new SsoSyncError(
      'usage',
      '--print and --dry-run both show a sync without writing it; choose one: --dry-run for the diff of the whole ' +
        'file, --print for the managed blocks alone.',
    );
  if (!v.once) {
    only(v, optionsOfCommand.daemon, 'the daemon (sso-sync with no command)');
    return { kind: 'daemon', settingsFile: v.settings, logLevel: v['log-level'] };
  }
  only(v, optionsOfCommand.once, '--once');
  return {
    kind: 'once',
    sessions: v.session ?? [],
    dryRun: v['dry-run'] ?? false,
    print: v.print ?? false,
    incremental: v.incremental ?? false,
    allowMassRemoval: v['allow-mass-removal'] ?? false,
    settingsFile: v.settings,
    logLevel: v['log-level'],
  };
}

/** `sso-sync completion bash|zsh|fish`, and `completion sessions` for the scripts. */
function parseCompletion(v: Values, rest: readonly string[]): Command {
  const [shell] = rest;
  if (rest.length === 1 && shell === 'sessions') {
    only(v, ['settings'], 'completion sessions');
    return { kind: 'completion-sessions', settingsFile: v.settings };
  }
  const known = completionShells.find((s) => s === shell);
  if (rest.length !== 1 || known === undefined) {
    const meant = shell === undefined ? undefined : nearest(shell, completionShells);
    throw new SsoSyncError(
      'usage',
      `sso-sync completion takes a shell: ${completionShells.join(', ')}` +
        `${meant ? ` (did you mean ${meant}?)` : ''}; e.g. \`source <(sso-sync completion bash)\`.`,
    );
  }
  only(v, optionsOfCommand.completion, `completion ${known}`);
  return { kind: 'completion', shell: known };
}

/** `sso-sync credentials --profile NAME`. */
function parseCredentials(v: Values): Command {
  only(v, optionsOfCommand.credentials, 'credentials');
  const profile = v.profile;
  if (profile === undefined || profile === '')
    throw new SsoSyncError(
      'usage',
      'sso-sync credentials needs the profile: `sso-sync credentials --profile NAME` ' +
        '(the credential_process line of a profile written with profiles.style credential-process runs it).',
    );
  return { kind: 'credentials', profile, logLevel: v['log-level'] };
}

/** The commands typed as a first word. */
export const commands = ['init', 'login', 'status', 'log', 'service', 'help', 'version', 'completion', 'credentials'];

/** A parse error of node:util's, in one plain line, with the option meant when one is near. */
function usageError(error: unknown): SsoSyncError {
  const message = errorMessage(error);
  const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
  const missing = /^Option '(--[\w-]+)(?: <value>)?' argument missing/.exec(message)?.[1];
  const noValue = /^Option '(--[\w-]+)' does not take an argument/.exec(message)?.[1];
  let said: string;
  if (errorCode(error) === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== undefined) {
    const meant = nearest(unknown.replace(/^-+/, ''), Object.keys(options));
    said = `unknown option ${unknown}${meant ? ` (did you mean --${meant}?)` : ''}`;
  } else if (missing !== undefined) said = `${missing} needs a value`;
  else if (noValue !== undefined) said = `${noValue} takes no value`;
  else said = message.split('\n')[0] ?? message;
  return new SsoSyncError('usage', `${said}. Run \`sso-sync --help\` for the options.`);
}

/** The help asked for: `help TOPIC`, or `COMMAND --help`. */
function parseHelp(v: Values, first: string | undefined, rest: readonly string[]): Command {
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { kind: 'help' };
    const known = helpTopics.find((t) => t === topic.replace(/^--/, ''));
    if (known !== undefined && rest.length === 1) return { kind: 'help', topic: known };
    const meant = nearest(topic, helpTopics);
    throw new SsoSyncError(
      'usage',
      `there is no help on ${JSON.stringify(rest.join(' '))}${meant ? ` (did you mean ${meant}?)` : ''}; ` +
        `the commands are ${helpTopics.join(', ')}.`,
    );
  }
  const topic = helpTopics.find((t) => t === first) ?? (v.once ? 'once' : undefined);
  return topic === undefined ? { kind: 'help' } : { kind: 'help', topic };
}

/** Parses argv (without node and the script); bad usage throws an error that exits 2. */
export function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (error) {
    throw usageError(error);
  }
  const { values: v, positionals } = parsed;
  const [first, ...rest] = positionals;
  if (v.help || first === 'help') return parseHelp(v, first, rest);
  if (v.version || (first === 'version' && rest.length === 0)) return { kind: 'version' };
  checkLogLevel(v['log-level'], '--log-level');
  if (first === 'login' && rest.length === 0) return parseLogin(v);
  if (first === 'init' && rest.length === 0) return parseInit(v);
  if (first === 'service') return parseService(v, rest);
  if (first === 'completion') return parseCompletion(v, rest);
  if (first === 'credentials' && rest.length === 0) return parseCredentials(v);
  if (first === 'log' && rest.length === 0) return parseLog(v);
  if (first === 'status' && rest.length === 0) {
    only(v, optionsOfCommand.status, 'status');
    return { kind: 'status', json: v.json ?? false, settingsFile: v.settings };
  }
  if (first !== undefined) {
    const words = rest.length ? ` ${rest.join(' ')}` : '';
    const meant = commands.includes(first) ? undefined : nearest(first, commands);
    throw new SsoSyncError(
      'usage',
      `unknown command ${JSON.stringify(first + words)}${meant ? ` (did you mean ${meant}?)` : ''}. ` +
        'Run `sso-sync --help`.',
    );
  }
  return parseSync(v);
}

/** The command line, read as every command reads it: refused on a Node.js sso-sync does not run on, then parsed. */
export function readCommandLine(argv: readonly string[]): Command {
  const unsupported = unsupportedNode(process.versions.node, process.execPath);
  if (unsupported) throw new SsoSyncError('usage', unsupported);
  return parseCommand(argv);
}
