/** Injected faults: which request gets which failure, decided by pure counting over a list of fault rules. */
import { ApiError, invalidRequest, tooManyRequests, unauthorized } from './api-error.js';
import { oidcError } from './oidc-errors.js';
import type { RouteApi } from './route-table.js';

/**
 * What a fault does to the request it hits. Errors come in the format of the route's API: on OIDC routes
 * 'server-error' is InternalServerException with `error: server_error`, 'unauthorized' is the OIDC's 401,
 * InvalidClientException, and 'invalid-request' is InvalidRequestException with `error: invalid_request`.
 * 'throttle' answers 429 TooManyRequestsException whatever the rate (a storm the token bucket would not make);
 * 'stall' reads the request and never answers, as a service that hangs, until the client gives up.
 * 'html' answers 200 with an HTML page and 'html-403' answers 403 with one, as a proxy or a captive portal does.
 */
export type FaultAction =
  | 'server-error'
  | 'unavailable'
  | 'unauthorized'
  | 'malformed'
  | 'html'
  | 'html-403'
  | 'drop'
  | 'invalid-request'
  | 'throttle'
  | 'stall';

/** The routes a fault can be aimed at: portal ('accounts', 'roles'), OIDC (the rest), or every route ('any'). */
export type FaultRoute = 'accounts' | 'roles' | 'register' | 'device-authorization' | 'token' | 'authorize' | 'any';

/** A fault rule: skip `after` matching requests, then fail the next `times` (default: all) with `action`. */
export interface Fault {
  /** Default 'any', which includes the OIDC routes: aim at 'accounts' or 'roles' to leave sign-in alone. */
  route?: FaultRoute;
  after?: number;
  times?: number;
  action: FaultAction;
}

/** A fault rule with its counters: matching requests seen so far, and how many of them it failed. */
export interface ArmedFault {
  readonly fault: Fault;
  readonly seen: number;
  readonly fired: number;
}

const ACTIONS: ReadonlySet<string> = new Set<FaultAction>([
  'server-error',
  'unavailable',
  'unauthorized',
  'malformed',
  'html',
  'html-403',
  'drop',
  'invalid-request',
  'throttle',
  'stall',
]);
const ROUTES: ReadonlySet<string> = new Set<FaultRoute>([
  'accounts',
  'roles',
  'register',
  'device-authorization',
  'token',
  'authorize',
  'any',
]);

/** Validates fault rules and starts their counters at zero; every problem is reported at once. */
export function armFaults(faults: readonly Fault[]): ArmedFault[] {
  const problems: string[] = [];
  faults.forEach((fault, i) => {
    if (!ACTIONS.has(fault.action))
      problems.push(`faults[${i}].action: unknown action ${JSON.stringify(fault.action)}`);
    if (fault.route !== undefined && !ROUTES.has(fault.route)) {
      problems.push(`faults[${i}].route: unknown route ${JSON.stringify(fault.route)}`);
    }
    for (const key of ['after', 'times'] as const) {
      const value = fault[key];
      if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
        problems.push(`faults[${i}].${key}: must be an integer >= 0, got ${value}`);
      }
    }
  });
  if (problems.length > 0) throw new RangeError(`invalid faults:\n  - ${problems.join('\n  - ')}`);
  return faults.map((fault) => ({ fault: { ...fault }, seen: 0, fired: 0 }));
}

/**
 * Counts a request to `route` against every matching rule and picks the first rule inside its window.
 * Every matching rule counts the request, so `after` means "after N requests to that route", whichever rule
 * (if any) failed them; `times` counts only the requests the rule itself failed.
 */
export function nextFault(armed: readonly ArmedFault[], route: string): { action?: FaultAction; armed: ArmedFault[] } {
  let action: FaultAction | undefined;
  const next = armed.map((entry) => {
    const { fault } = entry;
    if ((fault.route ?? 'any') !== 'any' && fault.route !== route) return entry;
    const seen = entry.seen + 1;
    const inWindow = seen > (fault.after ?? 0) && entry.fired < (fault.times ?? Infinity);
    if (action === undefined && inWindow) {
      action = fault.action;
      return { fault, seen, fired: entry.fired + 1 };
    }
    return { fault, seen, fired: entry.fired };
  });
  return action === undefined ? { armed: next } : { action, armed: next };
}

/**
 * The error reply for the faults that answer with one, in the route's API's format; 'malformed', 'drop' and 'stall' are
 * the server's.
 */
export function faultError(action: FaultAction, api: RouteApi = 'portal'): ApiError | undefined {
  const oidc = api === 'oidc';
  switch (action) {
    case 'server-error':
      return oidc
        ? oidcError('InternalServerException', 'Injected fault: internal server error')
        : new ApiError(500, 'InternalServerException', 'Injected fault: internal server error');
    case 'unavailable':
      // Not in the OIDC model, so the SDK raises it as a plain SSOOIDCServiceException named by this type.
      return new ApiError(
        503,
        'ServiceUnavailableException',
        'Injected fault: service unavailable',
        oidc ? 'temporarily_unavailable' : undefined,
      );
    case 'unauthorized':
      return oidc
        ? oidcError('InvalidClientException', 'Injected fault: invalid client')
        : unauthorized('Injected fault: session token not found or invalid');
    case 'invalid-request':
      return oidc
        ? oidcError('InvalidRequestException', 'Injected fault: invalid request')
        : invalidRequest('Injected fault: invalid request');
    case 'throttle':
      return tooManyRequests();
    case 'malformed':
    case 'html':
    case 'html-403':
    case 'drop':
    case 'stall':
      return undefined;
  }
}

/** The first field each route's reply starts with, to cut a 'malformed' reply off inside it. */
const FIRST_FIELD: Readonly<Record<string, string>> = {
  accounts: '"accountList":[{"accountId":"1111',
  roles: '"roleList":[{"accountId":"1111',
  register: '"clientId":"',
  'device-authorization': '"deviceCode":"',
  token: '"accessToken":"aoa',
};

/** The page a proxy or a captive portal shows instead of the service's answer. */
export const proxyPage =
  '<!DOCTYPE html><html><head><title>Sign in to the network</title></head>' +
  '<body><h1>Access to this site requires authentication</h1></body></html>\n';

/** A 200 body cut off mid-way, as a proxy that lost its upstream might send it. */
export function malformedBody(route: string): string {
  return `{${FIRST_FIELD[route] ?? '"'}`;
}
