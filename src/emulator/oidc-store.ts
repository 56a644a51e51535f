/** The OIDC side of one emulator: registered clients, device authorizations, authorization codes, refresh tokens. */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { TokenStore } from './access-tokens.js';
import { decideDevice, isAwaitingUser, pollDevice, type DeviceAuthorization } from './device-flow.js';
import { ApiError } from './api-error.js';
import { oauthCode, oidcError, type OidcErrorType } from './oidc-errors.js';
import { isS256Challenge, verifyS256 } from './pkce.js';
import { redirectUriMatches, redirectUriProblem, sameRedirectUri } from './redirect-uris.js';

/** The grant types the service knows, as RegisterClient's grantTypes and CreateToken's grantType spell them. */
export const GRANT_TYPES = {
  deviceCode: 'urn:ietf:params:oauth:grant-type:device_code',
  authorizationCode: 'authorization_code',
  refreshToken: 'refresh_token',
} as const;

const KNOWN_GRANTS: ReadonlySet<string> = new Set(Object.values(GRANT_TYPES));

/** What a refresh returns: a new refresh token that replaces the old, the same one again, or none (keep the old). */
export type RefreshTokenPolicy = 'rotate' | 'same' | 'none';

/** Lifetimes and policies of the OIDC side, defaults already applied. */
export interface OidcSettings {
  accessTokenLifetimeSeconds: number;
  /** How long a sign-in can be refreshed, counted from the grant that started it; rotation does not extend it. */
  refreshTokenLifetimeSeconds: number;
  registrationLifetimeSeconds: number;
  deviceCodeLifetimeSeconds: number;
  deviceIntervalSeconds: number;
  refreshTokens: RefreshTokenPolicy;
  /** Device authorizations start approved, as if the user approved at once. */
  autoApproveDevice: boolean;
}

/** How long an authorization code may wait before it is exchanged. */
const AUTHORIZATION_CODE_LIFETIME_SECONDS = 300;
/** User codes use consonants only (RFC 8628 section 6.1), so they cannot spell words or be misread. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

/** What RegisterClient asks for, already checked for types by the route. */
export interface ClientMetadata {
  clientName: string;
  clientType: string;
  scopes?: string[] | undefined;
  redirectUris?: string[] | undefined;
  grantTypes?: string[] | undefined;
  issuerUrl?: string | undefined;
}

/** A registered client. */
export interface RegisteredClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  readonly grantTypes: ReadonlySet<string>;
  readonly redirectUris: readonly string[];
  readonly issuedAtMs: number;
  expiresAtMs: number;
}

interface AuthorizationCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly expiresAtMs: number;
  used: boolean;
}

interface RefreshTokenRecord {
  readonly clientId: string;
  readonly sessionExpiresAtMs: number;
  state: 'active' | 'rotated' | 'revoked';
}

/** What a successful CreateToken returns. */
export interface IssuedTokens {
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
}

/** The authorize request's parameters, as they came in the query string. */
export interface AuthorizeParams {
  responseType: string | null;
  clientId: string | null;
  redirectUri: string | null;
  state: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  scopes: string | null;
}

/** Where the device authorization showing a user code stands, as the device page tells a person. */
export type DeviceLookup =
  | { kind: 'unknown' }
  | { kind: 'expired' }
  | { kind: 'pending'; clientName: string | undefined; expiresAtMs: number }
  | { kind: 'decided'; decision: 'approved' | 'denied'; clientName: string | undefined };

/** Where the authorize step sends the browser back to. */
export type AuthorizeOutcome = { location: string };

function secret(bytes = 48): string {
  return randomBytes(bytes).toString('base64url');
}

/** The OIDC state of one emulator; every method takes the time, so nothing here reads a clock. */
export class OidcStore {
  private readonly clients = new Map<string, RegisteredClient>();
  private readonly devices = new Map<string, DeviceAuthorization>();
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  /** Verifiers that passed a PKCE check: secrets too, though the client made them. */
  private readonly verifiers = new Set<string>();

  constructor(
    private readonly settings: OidcSettings,
    private readonly accessTokens: TokenStore,
  ) {}

  /** RegisterClient: checks the metadata (every problem of the first failing kind at once) and registers. */
  registerClient(meta: ClientMetadata, nowMs: number): RegisteredClient {
    const fail = (type: OidcErrorType, problems: string[]): void => {
      if (problems.length > 0) throw oidcError(type, problems.join('; '));
    };
    fail(
      'InvalidClientMetadataException',
      meta.clientType === 'public' ? [] : [`clientType must be "public", got ${JSON.stringify(meta.clientType)}`],
    );
    const grantTypes = meta.grantTypes ?? [GRANT_TYPES.deviceCode];
    fail(
      'UnsupportedGrantTypeException',
      grantTypes.filter((g) => !KNOWN_GRANTS.has(g)).map((g) => `grant type ${JSON.stringify(g)} is not supported`),
    );
    fail(
      'InvalidScopeException',
      (meta.scopes ?? [])
        .filter((s) => !/^\S+$/.test(s))
        .map((s) => `scope ${JSON.stringify(s)} is empty or has spaces`),
    );
    const redirectUris = meta.redirectUris ?? [];
    fail(
      'InvalidRedirectUriException',
      redirectUris.flatMap((uri) => {
        const problem = redirectUriProblem(uri);
        return problem === undefined ? [] : [`redirect URI ${JSON.stringify(uri)} ${problem}`];
      }),
    );
    fail(
      'InvalidClientMetadataException',
      grantTypes.includes(GRANT_TYPES.authorizationCode) && redirectUris.length === 0
        ? ['the authorization_code grant needs at least one redirect URI']
        : [],
    );
    const client: RegisteredClient = {
      clientId: randomUUID().replaceAll('-', ''),
      clientSecret: secret(),
      clientName: meta.clientName,
      scopes: [...(meta.scopes ?? [])],
      grantTypes: new Set(grantTypes),
      redirectUris: [...redirectUris],
      issuedAtMs: nowMs,
      expiresAtMs: nowMs + this.settings.registrationLifetimeSeconds * 1000,
    };
    this.clients.set(client.clientId, client);
    return client;
  }

  /** The client these credentials belong to; InvalidClientException when unknown, wrong or expired. */
  authenticate(clientId: string, clientSecret: string, nowMs: number): RegisteredClient {
    const client = this.clients.get(clientId);
    if (client === undefined || client.clientSecret !== clientSecret) {
      throw oidcError('InvalidClientException', 'the client id or client secret is not valid');
    }
    if (nowMs >= client.expiresAtMs) {
      throw oidcError('InvalidClientException', 'the client registration has expired: register the client again');
    }
    return client;
  }

  private requireGrant(client: RegisteredClient, grantType: string): void {
    if (!client.grantTypes.has(grantType)) {
      throw oidcError('UnauthorizedClientException', `the client is not registered for the ${grantType} grant`);
    }
  }

  /** StartDeviceAuthorization for an authenticated client. */
  startDeviceAuthorization(client: RegisteredClient, nowMs: number): DeviceAuthorization {
    this.requireGrant(client, GRANT_TYPES.deviceCode);
    const awaiting = new Set([...this.devices.values()].filter((d) => isAwaitingUser(d, nowMs)).map((d) => d.userCode));
    let userCode: string;
    do {
      const letters = Array.from({ length: 8 }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]).join(
        '',
      );
      userCode = `${letters.slice(0, 4)}-${letters.slice(4)}`;
    } while (awaiting.has(userCode));
    const device: DeviceAuthorization = {
      deviceCode: secret(),
      userCode,
      clientId: client.clientId,
      expiresAtMs: nowMs + this.settings.deviceCodeLifetimeSeconds * 1000,
      intervalMs: this.settings.deviceIntervalSeconds * 1000,
      status: this.settings.autoApproveDevice ? 'approved' : 'pending',
    };
    this.devices.set(device.deviceCode, device);
    return device;
  }

  /** The newest device authorization showing `userCode`: an expired one may share its user code with a live one. */
  private deviceByUserCode(userCode: string): DeviceAuthorization | undefined {
    return [...this.devices.values()].reverse().find((d) => d.userCode === userCode);
  }

  /**
   * Where the device authorization showing `userCode` stands at `nowMs`, with the name its client registered under.
   * A decision outlives the code's expiry here, so a person who approved is not told later that the code expired.
   */
  lookUpDevice(userCode: string, nowMs: number): DeviceLookup {
    const device = this.deviceByUserCode(userCode);
    if (device === undefined) return { kind: 'unknown' };
    const clientName = this.clients.get(device.clientId)?.clientName;
    if (device.status === 'denied') return { kind: 'decided', decision: 'denied', clientName };
    if (device.status !== 'pending') return { kind: 'decided', decision: 'approved', clientName };
    if (!isAwaitingUser(device, nowMs)) return { kind: 'expired' };
    return { kind: 'pending', clientName, expiresAtMs: device.expiresAtMs };
  }

  /** The user approves or denies the device authorization showing `userCode`; throws when it cannot be decided. */
  decideDevice(userCode: string, decision: 'approve' | 'deny', nowMs: number): void {
    const device = this.deviceByUserCode(userCode);
    if (device === undefined) throw new Error(`no device authorization has the user code ${userCode}`);
    const decided = decideDevice(device, decision, nowMs);
    if (!decided.ok) throw new Error(`the device authorization ${userCode} cannot be decided: ${decided.reason}`);
    this.devices.set(device.deviceCode, decided.next);
  }

  /** User codes still waiting for a decision, oldest first. */
  pendingUserCodes(nowMs: number): string[] {
    return [...this.devices.values()].filter((d) => isAwaitingUser(d, nowMs)).map((d) => d.userCode);
  }

  /** GET /authorize: a redirect back to the client, or a thrown 400 when there is no trustworthy place to send it. */
  authorize(params: AuthorizeParams, decision: 'approve' | 'deny', nowMs: number): AuthorizeOutcome {
    // Until the client and its redirect URI are known good, errors go to the browser, never to the redirect URI.
    if (params.clientId === null || params.clientId === '') {
      throw authorizePageError('InvalidRequestException', 'client_id is required');
    }
    const client = this.clients.get(params.clientId);
    if (client === undefined || nowMs >= client.expiresAtMs) {
      throw authorizePageError('InvalidClientException', 'the client is unknown or its registration has expired');
    }
    const redirectUri = params.redirectUri;
    if (
      redirectUri === null ||
      !client.redirectUris.some((registered) => redirectUriMatches(registered, redirectUri))
    ) {
      throw authorizePageError(
        'InvalidRedirectUriException',
        'redirect_uri is missing or was not registered by the client',
      );
    }

    const back = (query: Record<string, string>): AuthorizeOutcome => {
      const url = new URL(redirectUri);
      for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
      if (params.state !== null) url.searchParams.set('state', params.state);
      return { location: url.href };
    };
    if (params.responseType !== 'code') return back({ error: 'unsupported_response_type' });
    if (!client.grantTypes.has(GRANT_TYPES.authorizationCode)) return back({ error: 'unauthorized_client' });
    if (
      params.codeChallengeMethod !== 'S256' ||
      params.codeChallenge === null ||
      !isS256Challenge(params.codeChallenge)
    ) {
      return back({ error: 'invalid_request' });
    }
    const requested = (params.scopes ?? '').split(' ').filter((s) => s !== '');
    if (client.scopes.length > 0 && requested.some((s) => !client.scopes.includes(s)))
      return back({ error: 'invalid_scope' });
    if (decision === 'deny') return back({ error: 'access_denied' });

    const code = secret(32);
    this.codes.set(code, {
      clientId: client.clientId,
      redirectUri,
      codeChallenge: params.codeChallenge,
      expiresAtMs: nowMs + AUTHORIZATION_CODE_LIFETIME_SECONDS * 1000,
      used: false,
    });
    return back({ code });
  }

  /** CreateToken with the device code grant. */
  redeemDeviceCode(client: RegisteredClient, deviceCode: string, nowMs: number): IssuedTokens {
    this.requireGrant(client, GRANT_TYPES.deviceCode);
    const device = this.devices.get(deviceCode);
    if (device === undefined || device.clientId !== client.clientId) {
      throw oidcError('InvalidGrantException', 'the device code is not valid for this client');
    }
    const { outcome, next } = pollDevice(device, nowMs);
    this.devices.set(deviceCode, next);
    switch (outcome) {
      case 'pending':
        throw oidcError('AuthorizationPendingException', 'Authorization is still pending');
      case 'slow-down':
        throw oidcError('SlowDownException', `polled faster than the interval of ${device.intervalMs / 1000} s`);
      case 'expired':
        throw oidcError('ExpiredTokenException', 'the device code has expired: start the device authorization again');
      case 'denied':
        throw oidcError('AccessDeniedException', 'the user denied the device authorization');
      case 'redeemed':
        throw oidcError('InvalidGrantException', 'the device code was already exchanged for a token');
      case 'approved':
        return this.issue(client, nowMs + this.settings.refreshTokenLifetimeSeconds * 1000, nowMs);
    }
  }

  /** CreateToken with the authorization code grant; a code is spent by its first redemption attempt, good or bad. */
  redeemAuthorizationCode(
    client: RegisteredClient,
    code: string,
    redirectUri: string,
    codeVerifier: string | undefined,
    nowMs: number,
  ): IssuedTokens {
    this.requireGrant(client, GRANT_TYPES.authorizationCode);
    const record = this.codes.get(code);
    const invalid = (why: string) => oidcError('InvalidGrantException', why);
    if (record === undefined || record.clientId !== client.clientId)
      throw invalid('the authorization code is not valid for this client');
    if (record.used) throw invalid('the authorization code was already used');
    record.used = true;
    if (nowMs >= record.expiresAtMs) throw invalid('the authorization code has expired');
    if (!sameRedirectUri(record.redirectUri, redirectUri)) {
      throw invalid('redirectUri differs from the redirect_uri of the authorize request');
    }
    if (codeVerifier === undefined || !verifyS256(codeVerifier, record.codeChallenge)) {
      throw invalid('the code verifier does not match the code challenge');
    }
    this.verifiers.add(codeVerifier);
    return this.issue(client, nowMs + this.settings.refreshTokenLifetimeSeconds * 1000, nowMs);
  }

  /** CreateToken with the refresh token grant, under the configured rotation policy. */
  redeemRefreshToken(client: RegisteredClient, refreshToken: string, nowMs: number): IssuedTokens {
    this.requireGrant(client, GRANT_TYPES.refreshToken);
    const record = this.refreshTokens.get(refreshToken);
    const invalid = (why: string) => oidcError('InvalidGrantException', why);
    if (record === undefined || record.clientId !== client.clientId)
      throw invalid('the refresh token is not valid for this client');
    if (record.state === 'rotated') throw invalid('the refresh token was already used and has been replaced');
    if (record.state === 'revoked') throw invalid('the refresh token has been revoked');
    if (nowMs >= record.sessionExpiresAtMs) throw invalid('the refresh token has expired: sign in again');

    const { accessToken, expiresIn } = this.issueAccessToken(nowMs);
    switch (this.settings.refreshTokens) {
      case 'rotate': {
        record.state = 'rotated';
        return { accessToken, expiresIn, refreshToken: this.issueRefreshToken(client, record.sessionExpiresAtMs) };
      }
      case 'same':
        return { accessToken, expiresIn, refreshToken };
      case 'none':
        return { accessToken, expiresIn };
    }
  }

  /** Makes a refresh token unusable; throws for a token never issued, to catch mistakes in tests. */
  revokeRefreshToken(token: string): void {
    const record = this.refreshTokens.get(token);
    if (record === undefined) throw new Error('revokeRefreshToken: no such refresh token was issued');
    record.state = 'revoked';
  }

  /** Ends a client's registration now, as if its 90 days had passed. */
  expireRegistration(clientId: string, nowMs: number): void {
    const client = this.clients.get(clientId);
    if (client === undefined) throw new Error(`expireRegistration: no client ${clientId} was registered`);
    client.expiresAtMs = Math.min(client.expiresAtMs, nowMs);
  }

  /** Client secrets, device codes, authorization codes, refresh tokens and accepted PKCE verifiers, ever. */
  secrets(): string[] {
    return [
      ...[...this.clients.values()].map((c) => c.clientSecret),
      ...this.devices.keys(),
      ...this.codes.keys(),
      ...this.refreshTokens.keys(),
      ...this.verifiers,
    ];
  }

  private issueAccessToken(nowMs: number): { accessToken: string; expiresIn: number } {
    const lifetime = this.settings.accessTokenLifetimeSeconds;
    return { accessToken: this.accessTokens.issue(nowMs, lifetime).accessToken, expiresIn: lifetime };
  }

  private issueRefreshToken(client: RegisteredClient, sessionExpiresAtMs: number): string {
    // "aor" like the service's refresh tokens, so a leaked one is recognisable in a log.
    const token = `aor${secret()}`;
    this.refreshTokens.set(token, { clientId: client.clientId, sessionExpiresAtMs, state: 'active' });
    return token;
  }

  /** Tokens for a new sign-in; a refresh token only for clients registered for the refresh grant. */
  private issue(client: RegisteredClient, sessionExpiresAtMs: number, nowMs: number): IssuedTokens {
    const tokens: IssuedTokens = this.issueAccessToken(nowMs);
    if (client.grantTypes.has(GRANT_TYPES.refreshToken))
      tokens.refreshToken = this.issueRefreshToken(client, sessionExpiresAtMs);
    return tokens;
  }
}

/** An error the authorize page shows in the browser: always 400, whatever the type's usual status. */
function authorizePageError(type: OidcErrorType, description: string): ApiError {
  return new ApiError(400, type, description, oauthCode(type));
}
