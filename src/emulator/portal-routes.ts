/** The portal API's list routes (ListAccounts, ListAccountRoles) as pure functions of the query and the fixture. */
import { invalidRequest, resourceNotFound } from './api-error.js';
import type { Fixture, FixtureAccount } from './fixture.js';
import {
  decodePageCursor,
  encodePageCursor,
  MAX_PAGE_SIZE,
  parsePageSize,
  shapedPage,
  type PageCursor,
  type PageShape,
} from './pagination.js';
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

/** How the list routes page: the size when a request gives no max_result, and the service's page shape if any. */
export interface Paging {
  defaultPageSize: number;
  shape?: PageShape | undefined;
}

function pageBounds(
  query: URLSearchParams,
  scope: string,
  defaultPageSize: number,
): { cursor: PageCursor; size: number } {
  const size = parsePageSize(query.get('max_result'), defaultPageSize);
  if (size === undefined) {
    throw invalidRequest(`max_result must be an integer between 1 and ${MAX_PAGE_SIZE}`);
  }
  const token = query.get('next_token');
  if (token === null) return { cursor: { offset: 0, page: 0 }, size };
  const cursor = decodePageCursor(token, scope);
  // The message never repeats the token: clients log these messages, and tokens are not theirs to read.
  if (cursor === undefined) throw invalidRequest('next_token is invalid or was issued for a different request');
  return { cursor, size };
}

/** A page of `items` and, when more follow, its next token. */
function pageOf<T>(
  items: readonly T[],
  query: URLSearchParams,
  scope: string,
  paging: Paging,
): { page: T[]; nextToken?: string } {
  const { cursor, size } = pageBounds(query, scope, paging.defaultPageSize);
  const { page, next } = shapedPage(items, cursor, size, paging.shape);
  return next === undefined ? { page } : { page, nextToken: encodePageCursor(scope, next) };
}

/** GET /assignment/accounts: a page of accounts in fixture order. */
export function listAccounts(query: URLSearchParams, data: PortalData, paging: Paging): Reply {
  const { page, nextToken } = pageOf(data.accounts, query, 'accounts', paging);
  const accountList = page.map((a) =>
    a.emailAddress === undefined
      ? { accountId: a.accountId, accountName: a.accountName }
      : { accountId: a.accountId, accountName: a.accountName, emailAddress: a.emailAddress },
  );
  return { status: 200, body: nextToken === undefined ? { accountList } : { accountList, nextToken } };
}

/** GET /assignment/roles: a page of the roles held in one account. */
export function listAccountRoles(query: URLSearchParams, data: PortalData, paging: Paging): Reply {
  const accountId = query.get('account_id');
  if (accountId === null || accountId === '') throw invalidRequest('account_id is required');
  const account = data.byId.get(accountId);
  // The scope names the account, so a token from one account's listing is refused for any other. A bad token
  // or page size is reported before an unknown account.
  const roles = account?.roles ?? [];
  const { page, nextToken } = pageOf(roles, query, `roles:${accountId}`, paging);
  if (account === undefined) throw resourceNotFound(`account ${accountId} was not found`);
  const roleList = page.map((roleName) => ({ roleName, accountId }));
  return { status: 200, body: nextToken === undefined ? { roleList } : { roleList, nextToken } };
}

/**
 * The portal rows of the route table; `data` and `paging` are read on every request, so a new fixture or page
 * shape takes effect at once.
 */
export function portalRoutes(data: () => PortalData, paging: () => Paging): Route[] {
  return [
    {
      method: 'GET',
      path: '/assignment/accounts',
      name: 'accounts',
      api: 'portal',
      auth: 'bearer',
      handle: (request) => listAccounts(request.query, data(), paging()),
    },
    {
      method: 'GET',
      path: '/assignment/roles',
      name: 'roles',
      api: 'portal',
      auth: 'bearer',
      handle: (request) => listAccountRoles(request.query, data(), paging()),
    },
  ];
}
