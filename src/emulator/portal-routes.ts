/** The portal API's list routes (ListAccounts, ListAccountRoles) as pure functions of the query and the fixture. */
import { invalidRequest, resourceNotFound } from './api-error.js';
import type { Fixture, FixtureAccount } from './fixture.js';
import { decodePageToken, encodePageToken, MAX_PAGE_SIZE, parsePageSize, slicePage } from './pagination.js';
import type { Reply, Route } from './route-table.js';

/** A fixture indexed for lookups by account id. */
export interface PortalData {
  accounts: readonly FixtureAccount[];
  byId: ReadonlyMap<string, FixtureAccount>;
}

/** Indexes a (validated) fixture. */
export function indexFixture(fixture: Fixture): PortalData {
  return { accounts: fixture.accounts, byId: new Map(fixture.accounts.map((a) => [a.accountId, a])) };
}

function pageBounds(query: URLSearchParams, scope: string, defaultPageSize: number): { offset: number; size: number } {
  const size = parsePageSize(query.get('max_result'), defaultPageSize);
  if (size === undefined) {
    throw invalidRequest(`max_result must be an integer between 1 and ${MAX_PAGE_SIZE}`);
  }
  const token = query.get('next_token');
  if (token === null) return { offset: 0, size };
  const offset = decodePageToken(token, scope);
  // The message never repeats the token: clients log these messages, and tokens are not theirs to read.
  if (offset === undefined) throw invalidRequest('next_token is invalid or was issued for a different request');
  return { offset, size };
}

/** GET /assignment/accounts: a page of accounts in fixture order. */
export function listAccounts(query: URLSearchParams, data: PortalData, defaultPageSize: number): Reply {
  const scope = 'accounts';
  const { offset, size } = pageBounds(query, scope, defaultPageSize);
  const { page, nextOffset } = slicePage(data.accounts, offset, size);
  const accountList = page.map((a) =>
    a.emailAddress === undefined
      ? { accountId: a.accountId, accountName: a.accountName }
      : { accountId: a.accountId, accountName: a.accountName, emailAddress: a.emailAddress },
  );
  const body = nextOffset === undefined ? { accountList } : { accountList, nextToken: encodePageToken(scope, nextOffset) };
  return { status: 200, body };
}

/** GET /assignment/roles: a page of the roles held in one account. */
export function listAccountRoles(query: URLSearchParams, data: PortalData, defaultPageSize: number): Reply {
  const accountId = query.get('account_id');
  if (accountId === null || accountId === '') throw invalidRequest('account_id is required');
  // The scope names the account, so a token from one account's listing is refused for any other.
  const scope = `roles:${accountId}`;
  const { offset, size } = pageBounds(query, scope, defaultPageSize);
  const account = data.byId.get(accountId);
  if (account === undefined) throw resourceNotFound(`account ${accountId} was not found`);
  const { page, nextOffset } = slicePage(account.roles, offset, size);
  const roleList = page.map((roleName) => ({ roleName, accountId }));
  const body = nextOffset === undefined ? { roleList } : { roleList, nextToken: encodePageToken(scope, nextOffset) };
  return { status: 200, body };
}

/** The portal rows of the route table; `data` is read on every request, so a new fixture takes effect at once. */
export function portalRoutes(data: () => PortalData, defaultPageSize: number): Route[] {
  return [
    {
      method: 'GET',
      path: '/assignment/accounts',
      name: 'accounts',
      api: 'portal',
      auth: 'bearer',
      handle: (request) => listAccounts(request.query, data(), defaultPageSize),
    },
    {
      method: 'GET',
      path: '/assignment/roles',
      name: 'roles',
      api: 'portal',
      auth: 'bearer',
      handle: (request) => listAccountRoles(request.query, data(), defaultPageSize),
    },
  ];
}
