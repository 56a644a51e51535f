/**
 * The portal's answers checked at the edge, before anything else sees them. The SDK hands on whatever JSON came,
 * so a field of the wrong type (a number for a name, a null entry) would otherwise reach the naming code. An entry
 * that cannot be used is set aside with the reason, to be logged and skipped; a page of the wrong shape fails the
 * listing, as an answer that is not the portal's.
 */
import type { UnusableEntry } from '../core/types.js';

/** An account as ListAccounts returns it, checked. */
export interface AccountInfo {
  accountId: string;
  accountName: string;
}

/** A page whose shape is not the portal's: its list is not a list. */
export class MalformedAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedAnswerError';
  }
}

/** A value from the API, shown in a message: quoted, cut short, its type named when it is not text. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'an object';
  if (typeof value === 'number' || typeof value === 'boolean') return `the ${typeof value} ${String(value)}`;
  return typeof value;
}

/** The entries of a page's list (`accountList`, `roleList`); a missing list is an empty one. */
function entriesOf(page: unknown, list: string, what: string): unknown[] {
  const value = typeof page === 'object' && page !== null ? (page as Record<string, unknown>)[list] : undefined;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new MalformedAnswerError(`the portal's ${list} is ${shown(value)}, not a list, while ${what}`);
  return value;
}

/** A page of ListAccounts: the accounts that can be used, and the entries that cannot, with why. */
export function accountsOfPage(page: unknown): { accounts: AccountInfo[]; unusable: UnusableEntry[] } {
  const accounts: AccountInfo[] = [];
  const unusable: UnusableEntry[] = [];
  for (const entry of entriesOf(page, 'accountList', 'listing accounts')) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      unusable.push({ problem: `an account entry that is ${shown(entry)}` });
      continue;
    }
    const { accountId, accountName } = entry as Record<string, unknown>;
    if (typeof accountId !== 'string' || accountId === '') {
      const id = accountId === undefined || accountId === '' ? 'no account id' : `the account id ${shown(accountId)}`;
      unusable.push({ problem: `an account with ${id} (named ${shown(accountName)})` });
    } else if (typeof accountName !== 'string') {
      unusable.push({ accountId, problem: `account ${shown(accountId)} has the name ${shown(accountName)}` });
    } else accounts.push({ accountId, accountName });
  }
  return { accounts, unusable };
}

/** A page of ListAccountRoles for `accountId`: its role names, and the entries that cannot be used, with why. */
export function rolesOfPage(page: unknown, accountId: string): { roles: string[]; unusable: UnusableEntry[] } {
  const roles: string[] = [];
  const unusable: UnusableEntry[] = [];
  for (const entry of entriesOf(page, 'roleList', `listing the roles of account ${accountId}`)) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      unusable.push({ accountId, problem: `a role entry of account ${accountId} that is ${shown(entry)}` });
      continue;
    }
    const { roleName, accountId: answeredFor } = entry as Record<string, unknown>;
    if (typeof roleName !== 'string' || roleName === '') {
      unusable.push({ accountId, problem: `a role of account ${accountId} with the name ${shown(roleName)}` });
    } else if (answeredFor !== undefined && answeredFor !== accountId) {
      // Listed for one account, answered for another: whose role it is cannot be known, so it is not written.
      const other = shown(answeredFor);
      unusable.push({
        accountId,
        roleName,
        problem: `role ${shown(roleName)} came for account ${other}, not ${accountId}`,
      });
    } else roles.push(roleName);
  }
  return { roles, unusable };
}
