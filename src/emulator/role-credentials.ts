/** The portal's GetRoleCredentials: fake, random role credentials for the roles the fixture assigns, and a record. */
import { randomBytes } from 'node:crypto';
import { ApiError, invalidRequest } from './api-error.js';
import type { PortalData } from './portal-routes.js';
import type { Reply, Route } from './route-table.js';

/** Role credentials as the emulator issued them, for tests to compare with what a client got. */
export interface IssuedRoleCredentials {
  accountId: string;
  roleName: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Milliseconds since the epoch, as the service sends it. */
  expiration: number;
}

/** 403 ForbiddenException "No access": what the service answers for a role the user is not assigned. */
function noAccess(): ApiError {
  return new ApiError(403, 'ForbiddenException', 'No access');
}

const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Issues and remembers role credentials; each emulator owns one. */
export class RoleCredentialStore {
  private readonly issued: IssuedRoleCredentials[] = [];

  /** Credentials for an assignment, valid for `lifetimeSeconds` from `nowMs`. */
  issue(accountId: string, roleName: string, nowMs: number, lifetimeSeconds: number): IssuedRoleCredentials {
    const key = [...randomBytes(16)].map((b) => upper[b % upper.length]).join('');
    const credentials: IssuedRoleCredentials = {
      accountId,
      roleName,
      // Shaped like the service's: ASIA keys for temporary credentials, a 40-character secret, a long token.
      accessKeyId: `ASIA${key}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJb3JpZ2luX2Vj${randomBytes(96).toString('base64')}`,
      expiration: nowMs + lifetimeSeconds * 1000,
    };
    this.issued.push(credentials);
    return credentials;
  }

  /** Every credential issued so far, oldest first. */
  all(): IssuedRoleCredentials[] {
    return [...this.issued];
  }
}

/** GET /federation/credentials: credentials for an assigned role; 403 for any other account or role. */
export function getRoleCredentials(
  query: URLSearchParams,
  data: PortalData,
  store: RoleCredentialStore,
  nowMs: number,
  lifetimeSeconds: number,
): Reply {
  const accountId = query.get('account_id');
  const roleName = query.get('role_name');
  if (accountId === null || accountId === '') throw invalidRequest('account_id is required');
  if (roleName === null || roleName === '') throw invalidRequest('role_name is required');
  // The service does not say whether the account exists: an unknown account and an unassigned role read the same.
  if (!data.byId.get(accountId)?.roles.includes(roleName)) throw noAccess();
  const c = store.issue(accountId, roleName, nowMs, lifetimeSeconds);
  const { accessKeyId, secretAccessKey, sessionToken, expiration } = c;
  return { status: 200, body: { roleCredentials: { accessKeyId, secretAccessKey, sessionToken, expiration } } };
}

/** The route; the fixture and the lifetime are read on every request. */
export function roleCredentialsRoute(
  data: () => PortalData,
  store: RoleCredentialStore,
  lifetimeSeconds: () => number,
): Route {
  return {
    method: 'GET',
    path: '/federation/credentials',
    name: 'credentials',
    api: 'portal',
    auth: 'bearer',
    handle: (request) => getRoleCredentials(request.query, data(), store, Date.now(), lifetimeSeconds()),
  };
}
