/** Command-line flags of the emulator entry point, parsed and checked without side effects. */
import { parseArgs } from 'node:util';
import type { RefreshTokenPolicy } from './oidc-store.js';
import { errorMessage } from '../errors.js';

/** Where the emulator's accounts come from. */
export type FixtureChoice =
  | { kind: 'builtin' }
  | { kind: 'file'; path: string }
  | { kind: 'generated'; accounts: number; rolesPerAccount: number; seed: number };

/** Everything the entry point needs to start an emulator. */
export interface EmulatorCliConfig {
  port: number;
  fixture: FixtureChoice;
  latencyMs: number;
  throttle?: { ratePerSecond: number; burst?: number };
  /** Lifetime of the printed access token and of those that sign-in issues. */
  tokenLifetimeSeconds: number;
  autoApproveDevice: boolean;
  refreshTokens: RefreshTokenPolicy;
  refreshTokenLifetimeSeconds?: number;
  registrationLifetimeSeconds?: number;
}

/** The outcome of parsing: a configuration, a request for help, or every problem found in the flags. */
export type ParsedArgs =
  { kind: 'run'; config: EmulatorCliConfig } | { kind: 'help' } | { kind: 'error'; problems: string[] };

/** Usage text printed by --help and after a flag error. */
export const USAGE = `usage: npm run emulator -- [options]

Runs a local IAM Identity Center portal and OIDC API on 127.0.0.1 and prints how to try sso-sync against it: an
sso-session section for an AWS config, the endpoint variables to export, how to sign in, and an access token.

  --port N              port to listen on (default: any free port)
  --fixture FILE        accounts and roles as JSON, reloaded whenever the file is saved (default: a built-in demo
                        organisation)
  --accounts N          generate N accounts instead of a fixture file
  --roles K             roles per generated account (default 3; needs --accounts)
  --seed N              seed for the generated accounts (default 1; needs --accounts)
  --latency MS          delay before every response, in milliseconds (default 0)
  --rate N              allow N requests per second, answer 429 beyond that (default: unlimited)
  --burst N             requests allowed at once before --rate applies (default: the rate; needs --rate)
  --token-lifetime S    lifetime of access tokens (the printed one and sign-ins'), in seconds (default 3600)
  --auto-approve        approve device code sign-ins at once, as if the user clicked approve (default: they wait
                        for Approve or Deny on the page at the URL the sign-in prints)
  --refresh-tokens P    what a refresh returns: rotate (a new refresh token, the old one dies), same, or none
                        (default rotate)
  --refresh-lifetime S  how long a sign-in can be refreshed, in seconds (default 28800)
  --registration-lifetime S
                        how long a client registration lasts, in seconds (default 7776000, 90 days)
  -h, --help            show this help`;

const REFRESH_POLICIES: readonly RefreshTokenPolicy[] = ['rotate', 'same', 'none'];

function wholeNumber(
  name: string,
  raw: string | undefined,
  problems: string[],
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
) {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    problems.push(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  return Number(raw);
}

/** Parses the emulator's flags; unknown flags and bad values are reported together. */
export function parseEmulatorArgs(argv: string[]): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        fixture: { type: 'string' },
        accounts: { type: 'string' },
        roles: { type: 'string' },
        seed: { type: 'string' },
        latency: { type: 'string' },
        rate: { type: 'string' },
        burst: { type: 'string' },
        'token-lifetime': { type: 'string' },
        'auto-approve': { type: 'boolean' },
        'refresh-tokens': { type: 'string' },
        'refresh-lifetime': { type: 'string' },
        'registration-lifetime': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { kind: 'error', problems: [errorMessage(error)] };
  }
  if (values.help === true) return { kind: 'help' };

  const problems: string[] = [];
  const port = wholeNumber('port', values.port, problems, 0, 65535) ?? 0;
  const accounts = wholeNumber('accounts', values.accounts, problems);
  const roles = wholeNumber('roles', values.roles, problems);
  const seed = wholeNumber('seed', values.seed, problems);
  const latencyMs = wholeNumber('latency', values.latency, problems) ?? 0;
  const burst = wholeNumber('burst', values.burst, problems, 1);
  const tokenLifetimeSeconds = wholeNumber('token-lifetime', values['token-lifetime'], problems, 1) ?? 3600;
  const refreshTokenLifetimeSeconds = wholeNumber('refresh-lifetime', values['refresh-lifetime'], problems, 1);
  const registrationLifetimeSeconds = wholeNumber(
    'registration-lifetime',
    values['registration-lifetime'],
    problems,
    1,
  );
  const refreshTokens = (values['refresh-tokens'] ?? 'rotate') as RefreshTokenPolicy;
  if (!REFRESH_POLICIES.includes(refreshTokens)) {
    problems.push(
      `--refresh-tokens must be one of ${REFRESH_POLICIES.join(', ')}, got ${JSON.stringify(refreshTokens)}`,
    );
  }

  let ratePerSecond: number | undefined;
  if (values.rate !== undefined) {
    // Fractions are allowed: "--rate 0.5" is one request every two seconds.
    if (/^\d+(\.\d+)?$/.test(values.rate) && Number(values.rate) > 0) ratePerSecond = Number(values.rate);
    else problems.push(`--rate must be a number above 0, got ${JSON.stringify(values.rate)}`);
  }
  if (values.burst !== undefined && values.rate === undefined) problems.push('--burst needs --rate');
  if (values.fixture !== undefined && values.accounts !== undefined) {
    problems.push('--fixture and --accounts cannot be used together: choose a file or a generated organisation');
  }
  if (values.accounts === undefined) {
    if (values.roles !== undefined) problems.push('--roles needs --accounts');
    if (values.seed !== undefined) problems.push('--seed needs --accounts');
  }
  if (problems.length > 0) return { kind: 'error', problems };

  let fixture: FixtureChoice = { kind: 'builtin' };
  if (values.fixture !== undefined) fixture = { kind: 'file', path: values.fixture };
  if (accounts !== undefined) fixture = { kind: 'generated', accounts, rolesPerAccount: roles ?? 3, seed: seed ?? 1 };

  const config: EmulatorCliConfig = {
    port,
    fixture,
    latencyMs,
    tokenLifetimeSeconds,
    autoApproveDevice: values['auto-approve'] === true,
    refreshTokens,
  };
  if (refreshTokenLifetimeSeconds !== undefined) config.refreshTokenLifetimeSeconds = refreshTokenLifetimeSeconds;
  if (registrationLifetimeSeconds !== undefined) config.registrationLifetimeSeconds = registrationLifetimeSeconds;
  if (ratePerSecond !== undefined) config.throttle = burst === undefined ? { ratePerSecond } : { ratePerSecond, burst };
  return { kind: 'run', config };
}
