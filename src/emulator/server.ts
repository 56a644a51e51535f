/**
 * A real HTTP server on 127.0.0.1 speaking the IAM Identity Center portal and OIDC APIs, with latency, throttling and
 * faults.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { TokenStore } from './access-tokens.js';
import { ApiError, tooManyRequests, unauthorized } from './api-error.js';
import {
  armFaults,
  faultError,
  malformedBody,
  proxyPage,
  nextFault,
  type ArmedFault,
  type Fault,
  type FaultAction,
} from './faults.js';
import { devicePageRoutes } from './device-page.js';
import { parseFixture, type Fixture } from './fixture.js';
import { MAX_PAGE_SIZE, pageShapeProblems, type PageShape } from './pagination.js';
import { oidcRoutes } from './oidc-routes.js';
import { OidcStore, type OidcSettings, type RefreshTokenPolicy } from './oidc-store.js';
import { indexFixture, portalRoutes, type PortalData } from './portal-routes.js';
import { RoleCredentialStore, roleCredentialsRoute, type IssuedRoleCredentials } from './role-credentials.js';
import { findRoute, type Reply, type Route, type RouteRequest } from './route-table.js';
import { bucketConfig, fullBucket, takeToken, type BucketConfig, type BucketState } from './token-bucket.js';
import { errorMessage } from '../errors.js';

// Re-exported so that users of the emulator import its whole API from this one module.
/** Fault rules, as in EmulatorOptions.faults. */
export type { Fault, FaultAction, FaultRoute } from './faults.js';
/** What a refresh returns, as in EmulatorOptions.refreshTokens. */
export type { RefreshTokenPolicy } from './oidc-store.js';
/** The accounts and roles served. */
export type { Fixture, FixtureAccount } from './fixture.js';
export type { IssuedRoleCredentials } from './role-credentials.js';
/** How the list routes cut listings into pages, as in EmulatorOptions.pageShape. */
export type { PageShape } from './pagination.js';
export type { Reply, RouteRequest } from './route-table.js';

/** What the user does when the browser reaches the authorize page. */
export type AuthorizeDecision = 'approve' | 'deny';

/** Rewrites a route's reply (see Emulator.setReplyHook); `route` names it ('accounts', 'roles', 'token'…). */
export type ReplyHook = (route: string, reply: Reply, request: RouteRequest) => Reply;

/** How an emulator behaves: what it serves, where, how slowly, and how it misbehaves. */
export interface EmulatorOptions {
  fixture: Fixture;
  port?: number;
  /** Delay before every response, portal and OIDC alike. */
  latencyMs?: number;
  /** The portal's rate limit; OIDC requests are never throttled (they are a separate service with its own limits). */
  throttle?: { ratePerSecond: number; burst?: number };
  faults?: Fault[];
  defaultPageSize?: number;
  /**
   * How the portal cuts listings into pages beyond max_result: short pages, empty pages that still carry a next
   * token, an empty last page (default: full pages of max_result); setPageShape changes it.
   */
  pageShape?: PageShape;
  /** Lifetime of the role credentials GetRoleCredentials issues (default 3600); setRoleCredentialsLifetime sets it. */
  roleCredentialsLifetimeSeconds?: number;
  /** Lifetime of access tokens from CreateToken, and the default for issueAccessToken (default 3600). */
  accessTokenLifetimeSeconds?: number;
  /**
   * How long a sign-in can be refreshed, from the device or authorization code grant that started it; refresh
   * tokens that rotation hands out later keep that end (default 28800, Identity Center's default session length).
   */
  refreshTokenLifetimeSeconds?: number;
  /** Lifetime of a client registration, after which its id and secret get InvalidClientException (default 90 days). */
  registrationLifetimeSeconds?: number;
  /** How long a device code waits for the user before polls get ExpiredTokenException (default 600). */
  deviceCodeLifetimeSeconds?: number;
  /**
   * The device flow's polling interval; a pending poll sooner than this after the last gets SlowDownException (default
   * 1; 0: never).
   */
  deviceInterval?: number;
  /**
   * What a refresh_token grant returns (default 'rotate'): 'rotate' a new refresh token, the presented one
   * unusable from then on; 'same' the presented one again; 'none' no refresh token (the presented one stays valid).
   * Sign-ins (device and authorization code grants) return a refresh token whenever the client registered the
   * refresh_token grant.
   */
  refreshTokens?: RefreshTokenPolicy;
  /**
   * Device authorizations start approved, as if the user approved at once; without it, a person approves or denies
   * on the verification page (GET /device?user_code=…), or a test calls approveDevice.
   */
  autoApproveDevice?: boolean;
  /** What the authorize page does (default 'approve'); setAuthorizeDecision changes it. */
  authorizeDecision?: AuthorizeDecision;
}

/** Counters since the emulator started; every request counts, throttled and faulted ones included. */
export interface EmulatorStats {
  /** Requests received, whatever their outcome. */
  requests: number;
  /**
   * Requests per route name ('accounts', 'roles', 'register', 'device-authorization', 'token', 'authorize',
   * 'device-page' for the verification page and its form; 'unmatched' for unknown paths).
   */
  byRoute: Record<string, number>;
  /** Requests answered 429 by the throttle. */
  throttled: number;
  /** Requests an injected fault hit (dropped ones included). */
  faultsFired: number;
  /** Connections destroyed without a response by a 'drop' fault. */
  dropped: number;
  /** Requests being handled right now. */
  inFlight: number;
  /** The most requests ever handled at once (latency waits included), to check a client's concurrency bound. */
  maxInFlight: number;
  /** Responses sent, by HTTP status. */
  statusCodes: Record<number, number>;
}

/** A running emulator. */
export interface Emulator {
  /** Base URL, e.g. http://127.0.0.1:34567; give it to both SDK clients as their endpoint. */
  url: string;
  port: number;
  /**
   * Issues a bearer token the list routes accept (default lifetime accessTokenLifetimeSeconds; zero or less: already
   * expired).
   */
  issueAccessToken(opts?: { expiresInSeconds?: number }): { accessToken: string; expiresAt: Date };
  /** Makes a token unusable from now on. */
  revokeAccessToken(token: string): void;
  /** Replaces the assignments served from the next request on. */
  setFixture(f: Fixture): void;
  /** Replaces the fault rules, with fresh counters. */
  setFaults(f: Fault[]): void;
  /**
   * Rewrites every reply a route gives from now on (undefined: none), to serve what no fixture can: fields of the
   * wrong type, an entry without an id, a listing that pages for ever. Faults and the throttle come first.
   */
  setReplyHook(hook: ReplyHook | undefined): void;
  /**
   * Cuts listings into pages this way from the next request on (undefined: full pages); tokens already out stay valid.
   */
  setPageShape(shape: PageShape | undefined): void;
  /** A snapshot of the counters. */
  stats(): EmulatorStats;
  /** The user approves the device authorization showing `userCode`; throws if it is unknown, expired or decided. */
  approveDevice(userCode: string): void;
  /** The user denies the device authorization showing `userCode`; throws if it is unknown, expired or decided. */
  denyDevice(userCode: string): void;
  /** User codes of the device authorizations still waiting for the user, oldest first. */
  pendingDeviceAuthorizations(): string[];
  /** What the authorize page does from now on. */
  setAuthorizeDecision(decision: AuthorizeDecision): void;
  /** Makes a refresh token unusable (InvalidGrantException); throws for a token this emulator never issued. */
  revokeRefreshToken(token: string): void;
  /** Ends a client registration now (InvalidClientException from then on); throws for an unknown client id. */
  expireRegistration(clientId: string): void;
  /**
   * Every secret the emulator ever issued (access and refresh tokens, client secrets, device and authorization
   * codes) and every PKCE verifier it accepted, so tests can assert none of them reached a log or a file.
   */
  issuedSecrets(): string[];
  /** Every set of role credentials GetRoleCredentials issued, oldest first. */
  issuedRoleCredentials(): IssuedRoleCredentials[];
  /** The lifetime of role credentials issued from now on. */
  setRoleCredentialsLifetime(seconds: number): void;
  /** Closes the server and every open connection; safe to call more than once. */
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

const OIDC_DEFAULTS: OidcSettings = {
  accessTokenLifetimeSeconds: 3600,
  refreshTokenLifetimeSeconds: 8 * 3600,
  registrationLifetimeSeconds: 90 * 24 * 3600,
  deviceCodeLifetimeSeconds: 600,
  deviceIntervalSeconds: 1,
  refreshTokens: 'rotate',
  autoApproveDevice: false,
};
const REFRESH_POLICIES: ReadonlySet<string> = new Set<RefreshTokenPolicy>(['rotate', 'same', 'none']);
const DECISIONS: ReadonlySet<string> = new Set<AuthorizeDecision>(['approve', 'deny']);

/** Mutable state of one emulator; lives in the closure of startEmulator, never at module level. */
interface EmulatorState {
  data: PortalData;
  faults: ArmedFault[];
  bucket: BucketState | undefined;
  authorizeDecision: AuthorizeDecision;
  pageShape: PageShape | undefined;
  stats: EmulatorStats;
  replyHook: ReplyHook | undefined;
}

function checkOptions(options: EmulatorOptions): void {
  const problems: string[] = [];
  const { port = 0, latencyMs = 0, defaultPageSize = 20 } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`port must be an integer 0..65535, got ${port}`);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) problems.push(`latencyMs must be a number >= 0, got ${latencyMs}`);
  if (!Number.isInteger(defaultPageSize) || defaultPageSize < 1 || defaultPageSize > MAX_PAGE_SIZE) {
    problems.push(`defaultPageSize must be an integer 1..${MAX_PAGE_SIZE}, got ${defaultPageSize}`);
  }
  problems.push(...pageShapeProblems(options.pageShape));
  const lifetimes = [
    'accessTokenLifetimeSeconds',
    'refreshTokenLifetimeSeconds',
    'registrationLifetimeSeconds',
    'deviceCodeLifetimeSeconds',
    'roleCredentialsLifetimeSeconds',
  ] as const;
  for (const key of lifetimes) {
    const value = options[key];
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      problems.push(`${key} must be an integer >= 1, got ${value}`);
  }
  const { deviceInterval } = options;
  if (deviceInterval !== undefined && (!Number.isInteger(deviceInterval) || deviceInterval < 0)) {
    problems.push(`deviceInterval must be an integer >= 0, got ${deviceInterval}`);
  }
  if (options.refreshTokens !== undefined && !REFRESH_POLICIES.has(options.refreshTokens)) {
    problems.push(`refreshTokens must be 'rotate', 'same' or 'none', got ${JSON.stringify(options.refreshTokens)}`);
  }
  if (options.authorizeDecision !== undefined && !DECISIONS.has(options.authorizeDecision)) {
    problems.push(`authorizeDecision must be 'approve' or 'deny', got ${JSON.stringify(options.authorizeDecision)}`);
  }
  if (problems.length > 0) throw new RangeError(`invalid emulator options:\n  - ${problems.join('\n  - ')}`);
}

function oidcSettings(options: EmulatorOptions): OidcSettings {
  return {
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? OIDC_DEFAULTS.accessTokenLifetimeSeconds,
    refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds ?? OIDC_DEFAULTS.refreshTokenLifetimeSeconds,
    registrationLifetimeSeconds: options.registrationLifetimeSeconds ?? OIDC_DEFAULTS.registrationLifetimeSeconds,
    deviceCodeLifetimeSeconds: options.deviceCodeLifetimeSeconds ?? OIDC_DEFAULTS.deviceCodeLifetimeSeconds,
    deviceIntervalSeconds: options.deviceInterval ?? OIDC_DEFAULTS.deviceIntervalSeconds,
    refreshTokens: options.refreshTokens ?? OIDC_DEFAULTS.refreshTokens,
    autoApproveDevice: options.autoApproveDevice ?? OIDC_DEFAULTS.autoApproveDevice,
  };
}

/** Starts an emulator listening on 127.0.0.1 (never another interface); resolves once it accepts connections. */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  checkOptions(options);
  const latencyMs = options.latencyMs ?? 0;
  const defaultPageSize = options.defaultPageSize ?? 20;
  const throttle: BucketConfig | undefined = options.throttle && bucketConfig(options.throttle);

  const state: EmulatorState = {
    data: indexFixture(parseFixture(options.fixture, 'emulator options')),
    faults: armFaults(options.faults ?? []),
    bucket: throttle && fullBucket(throttle, Date.now()),
    authorizeDecision: options.authorizeDecision ?? 'approve',
    replyHook: undefined,
    // Copied, so that the caller's object can change later without changing the pages.
    pageShape: options.pageShape && { ...options.pageShape, sizes: [...options.pageShape.sizes] },
    stats: {
      requests: 0,
      byRoute: {},
      throttled: 0,
      faultsFired: 0,
      dropped: 0,
      inFlight: 0,
      maxInFlight: 0,
      statusCodes: {},
    },
  };
  const tokens = new TokenStore();
  const roleCredentials = new RoleCredentialStore();
  let roleCredentialsLifetime = options.roleCredentialsLifetimeSeconds ?? 3600;
  const settings = oidcSettings(options);
  const oidc = new OidcStore(settings, tokens);
  // Aborted by stop(), so requests sleeping in the latency wait end at once instead of holding the process open.
  const stopping = new AbortController();
  let baseUrl = '';
  const routes: Route[] = [
    ...portalRoutes(
      () => state.data,
      () => ({ defaultPageSize, shape: state.pageShape }),
    ),
    roleCredentialsRoute(
      () => state.data,
      roleCredentials,
      () => roleCredentialsLifetime,
    ),
    ...oidcRoutes({
      store: oidc,
      settings,
      baseUrl: () => baseUrl,
      authorizeDecision: () => state.authorizeDecision,
      now: () => Date.now(),
    }),
    ...devicePageRoutes({ store: oidc, autoApprove: settings.autoApproveDevice, now: () => Date.now() }),
  ];

  function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    state.stats.statusCodes[status] = (state.stats.statusCodes[status] ?? 0) + 1;
    if (res.destroyed) return;
    res.writeHead(status, {
      // A redirect has no body, so it says nothing about a body's type.
      ...(body === '' ? {} : { 'content-type': 'application/json' }),
      'content-length': String(Buffer.byteLength(body)),
      'x-amzn-requestid': randomUUID(),
      ...headers,
    });
    res.end(body);
  }

  function sendError(res: ServerResponse, error: ApiError, headers: Record<string, string> = {}): void {
    send(res, error.status, JSON.stringify(error.wireBody()), {
      'x-amzn-errortype': error.type,
      ...headers,
    });
  }

  function sendReply(res: ServerResponse, reply: Reply): void {
    if (reply.html !== undefined) {
      send(res, reply.status, reply.html, { 'content-type': 'text/html; charset=utf-8', ...reply.headers });
      return;
    }
    send(res, reply.status, reply.body === undefined ? '' : JSON.stringify(reply.body), reply.headers);
  }

  /** Answers a request that a fault hit, or drops its connection without an answer. */
  function sendFault(req: IncomingMessage, res: ServerResponse, action: FaultAction, route: Route): void {
    if (action === 'drop') {
      state.stats.dropped += 1;
      req.socket.destroy();
      return;
    }
    if (action === 'malformed') {
      send(res, 200, malformedBody(route.name));
      return;
    }
    if (action === 'html' || action === 'html-403') {
      send(res, action === 'html' ? 200 : 403, proxyPage, { 'content-type': 'text/html; charset=utf-8' });
      return;
    }
    // Never answered: the connection stays open until the client gives up or stop() closes every connection.
    if (action === 'stall') return;
    const error = faultError(action, route.api);
    if (error !== undefined) sendError(res, error);
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new ApiError(413, 'PayloadTooLargeException', 'request body is too large');
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { stats } = state;
    // Prefixed rather than resolved against a base, so a request line like `//x` stays a path and not a host.
    const url = new URL(`http://127.0.0.1${req.url ?? '/'}`);
    const method = req.method ?? 'GET';
    const match = findRoute(routes, method, url.pathname);
    const routeName = match.kind === 'found' ? match.route.name : 'unmatched';
    stats.requests += 1;
    stats.byRoute[routeName] = (stats.byRoute[routeName] ?? 0) + 1;

    const body = await readBody(req);
    if (latencyMs > 0) await sleep(latencyMs, undefined, { signal: stopping.signal });

    const throttled = match.kind !== 'found' || match.route.api === 'portal';
    if (throttled && throttle !== undefined && state.bucket !== undefined) {
      const taken = takeToken(state.bucket, throttle, Date.now());
      state.bucket = taken.state;
      if (!taken.allowed) {
        stats.throttled += 1;
        sendError(res, tooManyRequests());
        return;
      }
    }

    if (match.kind === 'no-path') {
      sendError(res, new ApiError(404, 'UnknownOperationException', `no route for ${method} ${url.pathname}`));
      return;
    }
    if (match.kind === 'wrong-method') {
      const error = new ApiError(405, 'MethodNotAllowedException', `${method} is not allowed on ${url.pathname}`);
      sendError(res, error, { allow: match.allowed.join(', ') });
      return;
    }
    const { route } = match;

    const fault = nextFault(state.faults, route.name);
    state.faults = fault.armed;
    if (fault.action !== undefined) {
      stats.faultsFired += 1;
      sendFault(req, res, fault.action, route);
      return;
    }

    if (route.auth === 'bearer') {
      const header = req.headers['x-amz-sso_bearer_token'];
      const status = tokens.check(Array.isArray(header) ? header[0] : header, Date.now());
      // The service says the same for every case; the emulator says which, to make failing tests easy to read.
      if (status !== 'valid') {
        sendError(res, unauthorized(`Session token not found or invalid (${status} token)`));
        return;
      }
    }

    const request: RouteRequest = { method, path: url.pathname, query: url.searchParams, headers: req.headers, body };
    const reply = await route.handle(request);
    sendReply(res, state.replyHook ? state.replyHook(route.name, reply, request) : reply);
  }

  const server = createServer((req, res) => {
    const { stats } = state;
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    res.once('close', () => {
      stats.inFlight -= 1;
    });
    handle(req, res).catch((error: unknown) => {
      if (stopping.signal.aborted) {
        // Stopped while this request waited: its connection is being closed anyway.
        req.socket.destroy();
        return;
      }
      const apiError =
        error instanceof ApiError
          ? error
          : new ApiError(500, 'InternalServerException', `emulator failure: ${errorMessage(error)}`);
      if (res.headersSent) req.socket.destroy();
      else sendError(res, apiError);
    });
  });
  // Malformed HTTP: drop the connection, as a load balancer would; nothing to report to the caller.
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  let stopped: Promise<void> | undefined;
  return {
    url: baseUrl,
    port,
    issueAccessToken(opts = {}) {
      return tokens.issue(Date.now(), opts.expiresInSeconds ?? settings.accessTokenLifetimeSeconds);
    },
    revokeAccessToken(token) {
      tokens.revoke(token);
    },
    setFixture(f) {
      state.data = indexFixture(parseFixture(f, 'setFixture'));
    },
    setFaults(f) {
      state.faults = armFaults(f);
    },
    setReplyHook(hook) {
      state.replyHook = hook;
    },
    setPageShape(shape) {
      const problems = pageShapeProblems(shape);
      if (problems.length > 0) throw new RangeError(`setPageShape: ${problems.join('; ')}`);
      state.pageShape = shape && { ...shape, sizes: [...shape.sizes] };
    },
    stats() {
      const { stats } = state;
      return { ...stats, byRoute: { ...stats.byRoute }, statusCodes: { ...stats.statusCodes } };
    },
    approveDevice(userCode) {
      oidc.decideDevice(userCode, 'approve', Date.now());
    },
    denyDevice(userCode) {
      oidc.decideDevice(userCode, 'deny', Date.now());
    },
    pendingDeviceAuthorizations() {
      return oidc.pendingUserCodes(Date.now());
    },
    setAuthorizeDecision(decision) {
      if (!DECISIONS.has(decision))
        throw new RangeError(`setAuthorizeDecision: expected 'approve' or 'deny', got ${decision}`);
      state.authorizeDecision = decision;
    },
    revokeRefreshToken(token) {
      oidc.revokeRefreshToken(token);
    },
    expireRegistration(clientId) {
      oidc.expireRegistration(clientId, Date.now());
    },
    issuedSecrets() {
      return [...tokens.all(), ...oidc.secrets()];
    },
    issuedRoleCredentials() {
      return roleCredentials.all();
    },
    setRoleCredentialsLifetime(seconds) {
      roleCredentialsLifetime = seconds;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        stopping.abort();
        // close() stops accepting and waits for connections; closeAllConnections() ends the idle keep-alive ones
        // (and any still in progress) so that wait is short.
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
