/**
 * The AWS CLI's SSO token cache, `~/.aws/sso/cache/<sha1 of the sso-session name>.json`, shared with the CLI:
 * `aws sso login` signs sso-sync in and `sso-sync login` signs the AWS CLI in. A file sso-sync cannot use is
 * reported, never rewritten; only a new login or a refresh replaces it.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { SessionDef } from '../core/types.js';
import { NotAFileError, readRegularFile } from '../fs/read-regular-file.js';
import { replaceFile } from '../fs/replace-file.js';
import { errorCode, signInHint, SsoSyncError } from '../errors.js';
import { tokenCachePath } from '../paths.js';

/** A cached token; the secret fields never leave this object in a message. */
export interface CachedToken {
  file: string;
  startUrl: string | undefined;
  region: string | undefined;
  accessToken: string;
  expiresAt: Date;
  refreshToken: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  registrationExpiresAt: Date | undefined;
  /** Keys sso-sync does not know, kept when the file is rewritten. */
  other: Record<string, unknown>;
  /** The cache file's permission bits, when it was read from disk. */
  mode?: number;
}

/** The fields sso-sync writes, in the AWS CLI's order. */
const knownKeys = [
  'startUrl',
  'region',
  'accessToken',
  'expiresAt',
  'clientId',
  'clientSecret',
  'registrationExpiresAt',
  'refreshToken',
];

/** A token closer to expiry than this is treated as expired: a sync takes time and clocks drift. */
export const expiryMarginMs = 60_000;

/** Parses the CLI's timestamps: `2026-01-01T08:00:00Z`, with an offset, or the older `…UTC` suffix. */
export function parseCacheTime(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const iso = value.trim().replace(/\s*UTC$/, 'Z');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(iso)) return undefined;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? undefined : new Date(time);
}

function unusable(session: string, file: string, why: string): SsoSyncError {
  return new SsoSyncError(
    'sign-in.required',
    `the token cache file ${file} for sso-session ${session} ${why}: ${signInHint(session)}`,
  );
}

/** Validates a cache file's text; throws "sign-in required" naming the file and what is wrong (never the content). */
export function parseCachedToken(text: string, file: string, session: string): CachedToken {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the text, which may hold a token: say only what happened.
    throw unusable(session, file, 'is not valid JSON (truncated or damaged)');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw unusable(session, file, 'does not hold a JSON object');
  const d = data as Record<string, unknown>;
  if (typeof d.accessToken !== 'string' || d.accessToken === '') throw unusable(session, file, 'has no accessToken');
  // It goes into an HTTP header as it is: a line break or any other byte outside printable ASCII there is refused
  // by the HTTP client, so such a token can never work, and retrying it only delays the sign-in.
  if (/[^\x20-\x7e]/.test(d.accessToken))
    throw unusable(session, file, 'holds an access token with a line break or another character that cannot be sent');
  const expiresAt = parseCacheTime(d.expiresAt);
  if (!expiresAt) throw unusable(session, file, 'has no valid expiresAt time');
  const optional = (key: string) => (typeof d[key] === 'string' && d[key] !== '' ? d[key] : undefined);
  return {
    file,
    startUrl: optional('startUrl'),
    region: optional('region'),
    accessToken: d.accessToken,
    expiresAt,
    refreshToken: optional('refreshToken'),
    clientId: optional('clientId'),
    clientSecret: optional('clientSecret'),
    registrationExpiresAt: parseCacheTime(d.registrationExpiresAt),
    other: Object.fromEntries(Object.entries(d).filter(([k]) => !knownKeys.includes(k))),
  };
}

/** Checks a token was issued for the session's portal (a trailing slash aside). */
export function checkStartUrl(token: CachedToken, session: SessionDef): CachedToken {
  if (token.startUrl !== undefined && token.startUrl.replace(/\/+$/, '') !== session.startUrl.replace(/\/+$/, '')) {
    throw unusable(session.name, token.file, `was issued for ${token.startUrl}, not for ${session.startUrl}`);
  }
  return token;
}

/** Checks a token belongs to the session and is fresh enough for a sync at `now`. */
export function checkUsable(token: CachedToken, session: SessionDef, now: Date): CachedToken {
  checkStartUrl(token, session);
  if (token.expiresAt.getTime() - now.getTime() < expiryMarginMs) {
    throw unusable(session.name, token.file, `holds a token that expired at ${formatCacheTime(token.expiresAt)}`);
  }
  return token;
}

/**
 * Reads a cache file's text, checked to be a regular file before a byte is read (a named pipe in its place would hang
 * the read for ever). Resolves with its permission bits too.
 */
async function readCacheFile(file: string, session: string): Promise<{ text: string; mode: number }> {
  try {
    return await readRegularFile(file);
  } catch (error) {
    if (error instanceof NotAFileError) throw unusable(session, file, `is ${error.kind}, not a file`);
    const code = errorCode(error);
    if (code === 'ENOENT') {
      throw new SsoSyncError(
        'sign-in.required',
        `sso-sync has no token for sso-session ${session} (no ${file}): ${signInHint(session)}`,
      );
    }
    throw unusable(session, file, `cannot be read (${code ?? 'error'})`);
  }
}

/** Reads and validates the session's cache file; a missing or unusable file means sign-in is required. */
export async function readToken(home: string, session: string): Promise<CachedToken> {
  const file = tokenCachePath(home, session);
  const { text, mode } = await readCacheFile(file, session);
  return { ...parseCachedToken(text, file, session), mode };
}

/**
 * Why a cache file's permissions put the token at risk, with the command that fixes them; undefined when only its
 * owner can read and write it (or its mode is not known). Anyone who can read it can act as its owner in AWS.
 */
export function looseModeProblem(token: Pick<CachedToken, 'file' | 'mode'>): string | undefined {
  if (token.mode === undefined || (token.mode & 0o077) === 0) return undefined;
  const who = token.mode & 0o044 ? 'readable' : 'writable';
  const octal = token.mode.toString(8).padStart(4, '0');
  return (
    `the token cache file ${token.file} is ${who} by other users (mode ${octal}): ` +
    `anyone who can read it can act as you in AWS until the token expires. Run \`chmod 600 ${token.file}\``
  );
}

/** Formats a time as the AWS CLI writes it: `2026-01-01T08:00:00Z`, whole seconds, UTC. */
export function formatCacheTime(time: Date): string {
  return time.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The JSON text of a cache file, in the AWS CLI's field names and time format; absent fields are left out. */
export function serializeToken(token: Omit<CachedToken, 'file'>): string {
  const data: Record<string, unknown> = {
    startUrl: token.startUrl,
    region: token.region,
    accessToken: token.accessToken,
    expiresAt: formatCacheTime(token.expiresAt),
    clientId: token.clientId,
    clientSecret: token.clientSecret,
    registrationExpiresAt: token.registrationExpiresAt && formatCacheTime(token.registrationExpiresAt),
    refreshToken: token.refreshToken,
    ...token.other,
  };
  return JSON.stringify(Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)));
}

/**
 * Writes a session's cache file atomically, mode 0600 in a 0700 directory; a write that fails leaves the old file
 * whole.
 */
export async function writeToken(home: string, session: string, token: Omit<CachedToken, 'file'>): Promise<string> {
  const file = tokenCachePath(home, session);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await replaceFile(file, serializeToken(token), 0o600);
  return file;
}
