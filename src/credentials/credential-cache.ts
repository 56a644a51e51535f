/**
 * Role credentials kept between `sso-sync credentials` runs, in the state directory: one 0600 file per session,
 * account, role and sign-in, written atomically, used until 16 minutes before the credentials expire. The AWS CLI
 * runs credential_process for every command; without the cache each would cost a call to the portal.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RoleCredentials } from '../aws/role-credentials-api.js';
import { readRegularFile } from '../fs/read-regular-file.js';
import { replaceFile } from '../fs/replace-file.js';

/**
 * Credentials are served from the cache only while more than this remains of their life. The AWS SDKs ask a
 * credential_process again once 15 minutes (botocore) or less remain: credentials served inside that window would
 * have them run sso-sync for every call until the cache let go.
 */
export const cacheMarginMs = 16 * 60_000;

/** Which role credentials: the portal, the session, the account and the role, and the sign-in they came from. */
export interface CredentialKey {
  startUrl: string;
  session: string;
  accountId: string;
  roleName: string;
  /**
   * The access token they were fetched with (only its hash reaches the file name): after a sign-out, or another
   * person's sign-in to the session, the kept credentials are never served; a refreshed token fetches anew.
   */
  accessToken: string;
}

/** The directory of kept credentials, 0700. */
export function credentialsDir(state: string): string {
  return path.join(state, 'credentials');
}

/**
 * The file of one key: a hash, so that the name says nothing about the account; the start URL is in it, so that a
 * session pointed at another portal never gets the old portal's credentials.
 */
export function credentialFile(state: string, key: CredentialKey): string {
  const id = createHash('sha256')
    .update([key.startUrl, key.session, key.accountId, key.roleName, key.accessToken].join('\n'))
    .digest('hex')
    .slice(0, 32);
  return path.join(credentialsDir(state), `${id}.json`);
}

/** The lock that makes one run fetch a key's credentials while others started with it wait, then read them. */
export function credentialLockFile(state: string, key: CredentialKey): string {
  return credentialFile(state, key).replace(/\.json$/, '.lock');
}

/** The kept credentials of a key when they have more than cacheMarginMs to live at `now`; else undefined. */
export async function readKeptCredentials(
  state: string,
  key: CredentialKey,
  now: number,
): Promise<RoleCredentials | undefined> {
  let data: unknown;
  try {
    data = JSON.parse((await readRegularFile(credentialFile(state, key))).text);
  } catch {
    // Missing, unreadable or damaged: fetched again, and the file replaced.
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = d;
  if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string' || typeof sessionToken !== 'string')
    return undefined;
  const expires = typeof expiration === 'string' ? Date.parse(expiration) : NaN;
  if (Number.isNaN(expires) || expires - now <= cacheMarginMs) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(expires) };
}

/** Keeps credentials for their key: 0600 in a 0700 directory, replaced atomically (a reader never sees half). */
export async function keepCredentials(state: string, key: CredentialKey, c: RoleCredentials): Promise<void> {
  const dir = credentialsDir(state);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const text = JSON.stringify({
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    sessionToken: c.sessionToken,
    expiration: c.expiration.toISOString(),
  });
  await replaceFile(credentialFile(state, key), `${text}\n`, 0o600);
}
