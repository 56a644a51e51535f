/** Fetching one session's assignments: every account, then each account's roles with bounded concurrency. */
import type { SsoApi } from '../aws/sso-api.js';
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

/** What a session's listing gave: every (account, role) the token can use, and the entries that could not be used. */
export interface FetchedAssignments {
  assignments: Assignment[];
  unusable: UnusableEntry[];
}

/** Every (account, role) the token can use, in the API's order, and the entries of the answers that were unusable. */
export async function fetchAssignments(
  api: SsoApi,
  session: SessionDef,
  accessToken: string,
  concurrency: number,
): Promise<FetchedAssignments> {
  let listing;
  try {
    listing = await api.listAccounts(accessToken);
  } catch (error) {
    throw portalError(session.name, 'listing accounts', error, api.endpoint());
  }
  const { accounts } = listing;
  const roles = await mapBounded(accounts, concurrency, async (account) => {
    try {
      return await api.listAccountRoles(accessToken, account.accountId);
    } catch (error) {
      throw portalError(session.name, `listing the roles of account ${account.accountId}`, error, api.endpoint());
    }
  });
  const assignments = accounts.flatMap((account, i) =>
    roles[i]!.roles.map((roleName) => ({
      session: session.name,
      accountId: account.accountId,
      accountName: account.accountName,
      roleName,
    })),
  );
  return { assignments, unusable: [...listing.unusable, ...roles.flatMap((r) => r.unusable)] };
}
