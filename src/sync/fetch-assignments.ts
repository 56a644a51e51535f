/**
 * Fetching one session's assignments: every account, then the roles of each account (or of the accounts due) with
 * bounded concurrency.
 */
import type { AccountInfo, AccountListing, RoleListing, SsoApi } from '../aws/sso-api.js';
import type { Assignment, SessionDef, UnusableEntry } from '../core/types.js';
import { classifyFailure } from '../aws/failure.js';
import { signInHint, SsoSyncError } from '../errors.js';
import { BoundedWork } from './bounded.js';
import type { OnProgress } from './progress.js';

/** Turns a failed portal call into the error a person reads, with the advice that fits the failure. */
export function portalError(session: string, what: string, error: unknown, endpoint: string): SsoSyncError {
  const failure = classifyFailure(error, 'IAM Identity Center', endpoint);
  if (failure.kind === 'unauthorized') {
    return new SsoSyncError(
      'sign-in.required',
      `the token for sso-session ${session} was refused while ${what}: ${signInHint(session)}`,
      { cause: error },
    );
  }
  return new SsoSyncError(
    'aws.failed',
    `${what} for sso-session ${session} failed: ${failure.summary}. Nothing was written; ${failure.advice}.`,
    { retryable: true, cause: error },
  );
}

/** Roles as a listing gave them: the role names, and the entries that could not be used. */
export type AccountRoles = RoleListing;

/** What a cycle knows before it lists: the roles of known accounts, and which accounts' roles to list now. */
export interface KnownRoles {
  /** The roles of the accounts known from earlier cycles; used for each account not chosen to be listed. */
  accounts: ReadonlyMap<string, AccountRoles>;
  /** From the accounts ListAccounts gave now (in its order), the ones whose roles are listed now. */
  choose(accountIds: readonly string[]): readonly string[];
}

/** What a session's listing gave: every (account, role) the token can use, and the entries that could not be used. */
export interface FetchedAssignments {
  assignments: Assignment[];
  unusable: UnusableEntry[];
  /** The accounts ListAccounts gave, in its order. */
  accounts: AccountInfo[];
  /** The roles listed in this cycle, by account id: every account's in a full scan. */
  listed: Map<string, AccountRoles>;
}

/**
 * Every (account, role) the token can use, in the API's order, and the entries of the answers that were unusable.
 * Lists the roles of every account, or with `known`, only of those it chooses, taking the others' from it. The roles
 * of an account that must be listed (every one in a full scan, a new one otherwise) are asked for as soon as its page
 * of accounts comes: behind a throttle, the requests then never wait for the listing of accounts to end.
 */
export async function fetchAssignments(
  api: SsoApi,
  session: SessionDef,
  accessToken: string,
  concurrency: number,
  known?: KnownRoles,
  onProgress?: OnProgress,
): Promise<FetchedAssignments> {
  const work = new BoundedWork(concurrency);
  const listed = new Map<string, AccountRoles>();
  onProgress?.({ kind: 'listing' });
  // An account the portal gave twice is listed once.
  const list = (accountId: string) => {
    if (listed.has(accountId)) return;
    listed.set(accountId, { roles: [], unusable: [] });
    onProgress?.({ kind: 'roles-queued' });
    work.add(async () => {
      try {
        listed.set(accountId, await api.listAccountRoles(accessToken, accountId));
        onProgress?.({ kind: 'roles-listed' });
      } catch (error) {
        throw portalError(session.name, `listing the roles of account ${accountId}`, error, api.endpoint());
      }
    });
  };
  let listing: AccountListing;
  try {
    listing = await api.listAccounts(accessToken, (page) => {
      onProgress?.({ kind: 'accounts', count: page.length });
      for (const { accountId } of page) if (known?.accounts.has(accountId) !== true) list(accountId);
    });
  } catch (error) {
    work.fail(portalError(session.name, 'listing accounts', error, api.endpoint()));
    // The role listings in flight end first; this throws the first failure.
    await work.settled();
    throw error;
  }
  if (known) for (const id of known.choose(listing.accounts.map((a) => a.accountId))) list(id);
  await work.settled();
  const { accounts } = listing;
  const rolesOf = (id: string): AccountRoles =>
    listed.get(id) ?? known?.accounts.get(id) ?? { roles: [], unusable: [] };
  const assignments = accounts.flatMap((account) =>
    rolesOf(account.accountId).roles.map((roleName) => ({
      session: session.name,
      accountId: account.accountId,
      accountName: account.accountName,
      roleName,
    })),
  );
  const ids = [...new Set(accounts.map((a) => a.accountId))];
  const unusable = [...listing.unusable, ...ids.flatMap((id) => rolesOf(id).unusable)];
  return { assignments, unusable, accounts, listed };
}
