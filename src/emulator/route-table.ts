/** The emulator's route table: method + path -> handler, so each API (the portal and OIDC) adds its own rows. */
import type { IncomingHttpHeaders } from 'node:http';

/** A request as a handler sees it: already routed, body read to the end. */
export interface RouteRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A reply; `body` is sent as JSON when present, `html` as a page for a browser. API failures are thrown as ApiError;
 * a page for a person answers its own failures with a 4xx page.
 */
export interface Reply {
  status: number;
  body?: unknown;
  html?: string;
  headers?: Record<string, string>;
}

/** Which service a route belongs to; the throttle models the portal's rate limit and applies to portal routes only. */
export type RouteApi = 'portal' | 'oidc';

/**
 * One row of the table. `name` keys statistics and fault rules; `api` picks the throttle and the format of
 * injected faults; `auth` says whether the bearer token is checked.
 */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  name: string;
  api: RouteApi;
  auth: 'bearer' | 'none';
  handle(request: RouteRequest): Reply | Promise<Reply>;
}

/** The route for a request, or why there is none: no such path, or the path exists under other methods. */
export type RouteMatch =
  { kind: 'found'; route: Route } | { kind: 'no-path' } | { kind: 'wrong-method'; allowed: string[] };

/** Looks a request up in the table; paths match exactly (the APIs emulated have no path parameters). */
export function findRoute(table: readonly Route[], method: string, path: string): RouteMatch {
  const onPath = table.filter((route) => route.path === path);
  const route = onPath.find((candidate) => candidate.method === method);
  if (route !== undefined) return { kind: 'found', route };
  if (onPath.length > 0) return { kind: 'wrong-method', allowed: onPath.map((candidate) => candidate.method) };
  return { kind: 'no-path' };
}
