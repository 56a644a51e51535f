/**
 * How generated profiles get their credentials (`profiles.style`): the keys each style writes in place of
 * `sso_session`, pure. Names, regions and extra keys are settled before; a style only rewrites the keys that say
 * where the credentials come from.
 */
import type { Profile, SessionDef } from './types.js';

/** The styles `profiles.style` accepts; `sso-session` is the default. */
export const profileStyles = ['sso-session', 'legacy', 'credential-process'] as const;

/** A style's name, as the settings give it. */
export type ProfileStyleName = (typeof profileStyles)[number];

/**
 * The style a plan writes profiles in. `credential-process` carries the command that serves the credentials: the
 * absolute paths of the Node.js binary and of sso-sync's script (see credentialCommandProblem).
 */
export type ProfileStyle =
  { kind: 'sso-session' } | { kind: 'legacy' } | { kind: 'credential-process'; command: readonly string[] };

/**
 * The keys that tell `sso-sync credentials` which session, account and role a credential-process profile stands
 * for. Not `sso_account_id` and `sso_role_name`: the AWS CLI and the SDKs take a profile with either of those for an
 * SSO profile, and fail on it for want of the other SSO keys, before they look at `credential_process`.
 */
export const processKeys = {
  session: 'sso_sync_session',
  accountId: 'sso_sync_account_id',
  roleName: 'sso_sync_role_name',
} as const;

/** Every key a style writes; settings may not set them through `set` (a key twice breaks the AWS CLI's parser). */
export const styleKeys = [
  'sso_start_url',
  'sso_region',
  'credential_process',
  processKeys.session,
  processKeys.accountId,
  processKeys.roleName,
] as const;

/** The account and role a generated section stands for, whatever the style it was written in. */
export function sectionAssignment(values: ReadonlyMap<string, string>): {
  accountId: string | undefined;
  roleName: string | undefined;
} {
  return {
    accountId: values.get('sso_account_id') ?? values.get(processKeys.accountId),
    roleName: values.get('sso_role_name') ?? values.get(processKeys.roleName),
  };
}

// Characters a POSIX shell and Python's shlex both take as they are, outside quotes.
const plainArgument = /^[A-Za-z0-9_/.,:@%+=-]+$/;

/**
 * One argument of the command line, as both readers of `credential_process` split it back: the AWS CLI with
 * Python's shlex.split, the JS SDK with /bin/sh. Each other character is escaped with a backslash rather than
 * the whole argument quoted: the JS SDK's config reader cuts a value at a `#` or `;` that follows a blank
 * (an inline comment), and an escaped blank is followed by a backslash, never by `#`.
 */
export function shellArgument(arg: string): string {
  if (plainArgument.test(arg)) return arg;
  return arg.replace(/[^A-Za-z0-9_/.,:@%+=-]/g, '\\$&');
}

// A control character (a line break, say) cannot stand in a `key = value` line. Made from character codes because
// a regular expression literal with control characters in it reads as a mistake.
const controlCharacter = new RegExp(
  `[${String.fromCharCode(0)}-${String.fromCharCode(31)}${String.fromCharCode(127)}]`,
);

/** Why the command cannot be written as a `credential_process` value, or undefined when it can. */
export function credentialCommandProblem(command: readonly string[]): string | undefined {
  if (command.length === 0) return 'no command was given';
  const bad = command.find((arg) => arg === '' || controlCharacter.test(arg));
  if (bad !== undefined) return `${JSON.stringify(bad)} is empty or holds a control character (a line break, say)`;
  const relative = command.find((arg) => !arg.startsWith('/'));
  if (relative !== undefined) return `${JSON.stringify(relative)} is not an absolute path`;
  return undefined;
}

/**
 * The `credential_process` value of a profile, as a byte string (the plan's text is one): a path with characters
 * beyond ASCII is written as its UTF-8 bytes.
 */
export function credentialProcessValue(command: readonly string[], profile: string): string {
  const line = [...command, 'credentials', '--profile', profile].map(shellArgument).join(' ');
  return Buffer.from(line, 'utf8').toString('latin1');
}

type Pair = readonly [string, string];

/** A profile's keys in a style other than sso-session. */
function styledKeys(p: Profile, style: ProfileStyle, session: SessionDef | undefined): Pair[] {
  const keys: Pair[] = [];
  for (const pair of p.keys) {
    const [key] = pair;
    if (style.kind === 'legacy') {
      if (key === 'sso_session' && session)
        keys.push(['sso_start_url', session.startUrl], ['sso_region', session.region]);
      else keys.push(pair);
    } else if (style.kind === 'credential-process') {
      if (key === 'sso_session')
        keys.push(
          ['credential_process', credentialProcessValue(style.command, p.name)],
          [processKeys.session, pair[1]],
        );
      else if (key === 'sso_account_id') keys.push([processKeys.accountId, pair[1]]);
      else if (key === 'sso_role_name') keys.push([processKeys.roleName, pair[1]]);
      else keys.push(pair);
    }
  }
  return keys;
}

/** The profiles as the style writes them (the same profiles for the default style). */
export function styleProfiles(
  profiles: Profile[],
  style: ProfileStyle | undefined,
  sessions: ReadonlyMap<string, SessionDef>,
): Profile[] {
  if (style === undefined || style.kind === 'sso-session') return profiles;
  return profiles.map((p) => ({ ...p, keys: styledKeys(p, style, sessions.get(p.session)) }));
}
