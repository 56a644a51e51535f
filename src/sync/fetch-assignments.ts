/**
 * Fetching one session's assignments: every account, then the roles of each account (or of the accounts due) with
 * bounded concurrency.
 */
import type { AccountInfo, RoleListing, SsoApi } from '../aws/sso-api.js';
import type { Assignment, SessionDef, UnusableEntry } from '../core/types.js';
import { classifyFailure } from '../aws/failure.js';
import { signInHint, SsoSyncError } from '../errors.js';
import { mapBounded } from './bounded.js';

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
 * Lists the roles of every account, or with `known`, only of those it chooses, taking the others' from it.
 */
export async function fetchAssignments(
  api: SsoApi,
  session: SessionDef,
  accessToken: string,
  concurrency: number,
  known?: KnownRoles,
): Promise<FetchedAssignments> {
  let listing;
  try {
    listing = await api.listAccounts(accessToken);
  } catch (error) {
    throw portalError(session.name, 'listing accounts', error, api.endpoint());
  }
  const { accounts } = listing;
  // An account the portal gave twice is listed once; one with no known roles always is.
  const ids = [...new Set(accounts.map((a) => a.accountId))];
  const chosen = new Set(known?.choose(ids) ?? ids);
  const toList = ids.filter((id) => chosen.has(id) || known?.accounts.has(id) !== true);
  const roles = await mapBounded(toList, concurrency, async (accountId) => {
    try {
      return await api.listAccountRoles(accessToken, accountId);
    } catch (error) {
      throw portalError(session.name, `listing the roles of account ${accountId}`, error, api.endpoint());
    }
  });
  const listed = new Map(toList.map((id, i) => [id, roles[i]!]));
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
  const unusable = [...listing.unusable, ...ids.flatMap((id) => rolesOf(id).unusable)];
  return { assignments, unusable, accounts, listed };
}
