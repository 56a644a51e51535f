/**
 * `sso-sync credentials --profile NAME`: what a credential-process profile runs. Prints the role credentials as
 * credential_process JSON on stdout, from the kept ones while they last, else from GetRoleCredentials with the
 * session's token (refreshed first when due). Every failure is one SsoSyncError whose message names the profile and
 * says what to do; the AWS CLI shows it (credential_process stderr). Credentials never reach a message or the log.
 */
import { mkdir } from 'node:fs/promises';
import { classifyFailure, failureKind } from '../aws/failure.js';
import type { RoleCredentials, RoleCredentialsApi } from '../aws/role-credentials-api.js';
import type { TokenKeeper } from '../auth/token-keeper.js';
import type { Clock } from '../clock/clock.js';
import { readConfig } from '../config-file/config-file.js';
import { scanConfig } from '../core/config-text.js';
import { describeFsError, errorName, signInHint, SsoSyncError } from '../errors.js';
import { acquireLock } from '../fs/lock-file.js';
import type { Logger } from '../log/logger.js';
import {
  credentialLockFile,
  credentialsDir,
  keepCredentials,
  readKeptCredentials,
  type CredentialKey,
} from './credential-cache.js';
import { findTarget, type CredentialTarget } from './profile-target.js';

/** What the command needs from outside. */
export interface CredentialsDeps {
  clock: Clock;
  log: Logger;
  configFile: string;
  stateDir: string;
  keeper: Pick<TokenKeeper, 'tokenForSync' | 'refresh'>;
  /** The portal call, for a session's region. */
  api: (region: string) => RoleCredentialsApi;
}

/** The credential_process JSON: Version 1, the keys, the token and the expiry (ISO 8601, UTC). */
export function processOutput(c: RoleCredentials): string {
  return `${JSON.stringify({
    Version: 1,
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    SessionToken: c.sessionToken,
    Expiration: c.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  })}\n`;
}

/** Reads the config and finds the profile's session, account and role. */
async function targetOf(deps: CredentialsDeps, profile: string): Promise<CredentialTarget> {
  const { text } = await readConfig(deps.configFile, { clock: deps.clock });
  if (text === undefined) {
    throw new SsoSyncError(
      'usage',
      `profile ${profile}: there is no AWS config at ${deps.configFile} (AWS_CONFIG_FILE, else ~/.aws/config), so ` +
        'sso-sync cannot tell which account and role the profile stands for. Run the command with the same ' +
        'AWS_CONFIG_FILE as the AWS CLI.',
    );
  }
  const found = findTarget(scanConfig(text), profile, deps.configFile);
  if (!found.ok) throw new SsoSyncError('usage', found.problem);
  return found.target;
}

/** The SsoSyncError for a failed GetRoleCredentials: no longer assigned, sign-in required, or the network's. */
function callFailed(t: CredentialTarget, error: unknown, endpoint: string): SsoSyncError {
  const what = `role ${t.roleName} in account ${t.accountId} (profile ${t.profile}, sso-session ${t.session.name})`;
  if (errorName(error) === 'ForbiddenException') {
    return new SsoSyncError(
      'aws.failed',
      `IAM Identity Center refuses credentials for ${what}: it is not assigned to you (any more). ` +
        'Run `sso-sync --once` to bring the profiles up to date, or ask your administrator for the role.',
      { cause: error },
    );
  }
  if (failureKind(error) === 'unauthorized') {
    return new SsoSyncError(
      'sign-in.required',
      `the portal does not accept the token of sso-session ${t.session.name} for ${what}: ` +
        signInHint(t.session.name),
      { cause: error },
    );
  }
  const failure = classifyFailure(error, 'IAM Identity Center', endpoint);
  return new SsoSyncError(
    'aws.failed',
    `could not get credentials for ${what}: ${failure.summary}. ${failure.advice.charAt(0).toUpperCase()}` +
      `${failure.advice.slice(1)}.`,
    { cause: error, retryable: true },
  );
}

/** Role credentials, and the access token that fetched them (a refused one is refreshed first). */
interface Fetched {
  credentials: RoleCredentials;
  accessToken: string;
}

/** Calls GetRoleCredentials; a token the portal refuses is refreshed once (refused for good: sign-in required). */
async function fetchCredentials(deps: CredentialsDeps, t: CredentialTarget, accessToken: string): Promise<Fetched> {
  const api = deps.api(t.session.region);
  try {
    return { credentials: await api.getRoleCredentials(accessToken, t.accountId, t.roleName), accessToken };
  } catch (error) {
    if (failureKind(error) !== 'unauthorized' || errorName(error) === 'ForbiddenException')
      throw callFailed(t, error, api.endpoint());
    const fresh = await deps.keeper.refresh(t.session, accessToken);
    const credentials = await api
      .getRoleCredentials(fresh.accessToken, t.accountId, t.roleName)
      .catch((again: unknown) => {
        throw callFailed(t, again, api.endpoint());
      });
    return { credentials, accessToken: fresh.accessToken };
  }
}

/**
 * Holds the key's lock while `work` runs: the AWS CLI, Terraform or `xargs -P` start several runs at once, and one
 * of them fetches while the others wait and then read what it kept. A lock that cannot be had in time is not worth
 * failing for: the run goes on without it.
 */
async function withKeyLock<T>(deps: CredentialsDeps, key: CredentialKey, work: () => Promise<T>): Promise<T> {
  let release: (() => Promise<void>) | undefined;
  try {
    await mkdir(credentialsDir(deps.stateDir), { recursive: true, mode: 0o700 });
    release = await acquireLock(credentialLockFile(deps.stateDir, key), {
      attempts: 40,
      minDelayMs: 25,
      maxDelayMs: 500,
      staleMs: 60_000,
      clock: deps.clock,
    });
  } catch {
    release = undefined;
  }
  try {
    return await work();
  } finally {
    await release?.().catch(() => undefined);
  }
}

/** Runs the command for a profile; resolves with what to print on stdout. */
export async function credentialsCommand(deps: CredentialsDeps, profile: string): Promise<string> {
  const { log, clock, stateDir } = deps;
  const t = await targetOf(deps, profile);
  // The session's token first: no credentials are served, kept or not, without a sign-in that holds now.
  const token = await deps.keeper.tokenForSync(t.session);
  const keyOf = (accessToken: string): CredentialKey => ({
    startUrl: t.session.startUrl,
    session: t.session.name,
    accountId: t.accountId,
    roleName: t.roleName,
    accessToken,
  });
  const where = { profile, session: t.session.name, accountId: t.accountId, role: t.roleName };
  return withKeyLock(deps, keyOf(token.accessToken), async () => {
    const kept = await readKeptCredentials(stateDir, keyOf(token.accessToken), clock.now());
    if (kept !== undefined) {
      log.debug({ event: 'credentials.kept', ...where }, `credentials for profile ${profile} served from the cache`);
      return processOutput(kept);
    }
    const fresh = await fetchCredentials(deps, t, token.accessToken);
    const expiration = fresh.credentials.expiration.toISOString();
    log.info(
      { event: 'credentials.fetched', ...where, expiration },
      `fetched credentials for profile ${profile} (role ${t.roleName} in account ${t.accountId}), valid until ` +
        expiration,
    );
    await keepCredentials(stateDir, keyOf(fresh.accessToken), fresh.credentials).catch((error: unknown) => {
      // The credentials are good; only the next run must fetch again.
      log.warn(
        { event: 'credentials.keep_failed', ...where, error: describeFsError(error) },
        `could not keep the credentials for profile ${profile} in ${stateDir}; the next run fetches them again`,
      );
    });
    return processOutput(fresh.credentials);
  });
}
