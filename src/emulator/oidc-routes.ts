/**
 * The OIDC API's rows of the route table (RegisterClient, StartDeviceAuthorization, CreateToken, and the browser's
 * authorize redirect), in the wire format of @aws-sdk/client-sso-oidc: JSON bodies named as its schemas name them.
 */
import { oidcError } from './oidc-errors.js';
import { GRANT_TYPES, type OidcSettings, type OidcStore } from './oidc-store.js';
import type { Reply, Route, RouteRequest } from './route-table.js';

/** What the OIDC routes need from the emulator around them. */
export interface OidcContext {
  store: OidcStore;
  settings: OidcSettings;
  /** The emulator's base URL, known once it listens. */
  baseUrl(): string;
  /** What the user does on the authorize page right now. */
  authorizeDecision(): 'approve' | 'deny';
  now(): number;
}

/** Reads a JSON request body's fields, collecting every problem before failing with InvalidRequestException. */
class BodyFields {
  private readonly problems: string[] = [];
  private readonly body: Record<string, unknown>;

  constructor(text: string) {
    let parsed: unknown = {};
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw oidcError('InvalidRequestException', 'the request body is not valid JSON');
      }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw oidcError('InvalidRequestException', 'the request body must be a JSON object');
    }
    this.body = parsed as Record<string, unknown>;
  }

  /** A string that must be present and not empty. */
  required(key: string): string {
    const value = this.optional(key);
    if (value === undefined || value === '') {
      if (!this.problems.some((p) => p.startsWith(`${key} `))) this.problems.push(`${key} is required`);
      return '';
    }
    return value;
  }

  /** A string that may be absent (null counts as absent). */
  optional(key: string): string | undefined {
    const value = this.body[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      this.problems.push(`${key} must be a string`);
      return undefined;
    }
    return value;
  }

  /** A list of strings that may be absent. */
  list(key: string): string[] | undefined {
    const value = this.body[key];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      this.problems.push(`${key} must be a list of strings`);
      return undefined;
    }
    return value;
  }

  /** Fails with every problem found so far. */
  check(): void {
    if (this.problems.length > 0) throw oidcError('InvalidRequestException', this.problems.join('; '));
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function registerClient(request: RouteRequest, ctx: OidcContext): Reply {
  const fields = new BodyFields(request.body);
  const meta = {
    clientName: fields.required('clientName'),
    clientType: fields.required('clientType'),
    scopes: fields.list('scopes'),
    redirectUris: fields.list('redirectUris'),
    grantTypes: fields.list('grantTypes'),
    issuerUrl: fields.optional('issuerUrl'),
  };
  fields.optional('entitledApplicationArn');
  fields.check();
  const client = ctx.store.registerClient(meta, ctx.now());
  return {
    status: 200,
    body: {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      clientIdIssuedAt: Math.floor(client.issuedAtMs / 1000),
      clientSecretExpiresAt: Math.floor(client.expiresAtMs / 1000),
      authorizationEndpoint: `${ctx.baseUrl()}/authorize`,
      tokenEndpoint: `${ctx.baseUrl()}/token`,
    },
  };
}

function startDeviceAuthorization(request: RouteRequest, ctx: OidcContext): Reply {
  const fields = new BodyFields(request.body);
  const clientId = fields.required('clientId');
  const clientSecret = fields.required('clientSecret');
  const startUrl = fields.required('startUrl');
  fields.check();
  if (!isHttpUrl(startUrl)) throw oidcError('InvalidRequestException', 'startUrl must be an http or https URL');
  const now = ctx.now();
  const client = ctx.store.authenticate(clientId, clientSecret, now);
  const device = ctx.store.startDeviceAuthorization(client, now);
  const verificationUri = `${ctx.baseUrl()}/device`;
  return {
    status: 200,
    body: {
      deviceCode: device.deviceCode,
      userCode: device.userCode,
      verificationUri,
      verificationUriComplete: `${verificationUri}?user_code=${encodeURIComponent(device.userCode)}`,
      expiresIn: ctx.settings.deviceCodeLifetimeSeconds,
      interval: ctx.settings.deviceIntervalSeconds,
    },
  };
}

function createToken(request: RouteRequest, ctx: OidcContext): Reply {
  // CreateTokenWithIAM shares the path and differs by this query flag; it needs IAM credentials sso-sync never has.
  if (request.query.has('aws_iam')) {
    throw oidcError('InvalidRequestException', 'CreateTokenWithIAM is not supported by the sso-sync emulator');
  }
  const fields = new BodyFields(request.body);
  const clientId = fields.required('clientId');
  const clientSecret = fields.required('clientSecret');
  const grantType = fields.required('grantType');
  // Accepted and ignored, as the service documents: tokens always carry the scopes of the registration.
  fields.list('scope');
  fields.check();
  const now = ctx.now();
  const client = ctx.store.authenticate(clientId, clientSecret, now);

  let tokens;
  switch (grantType) {
    case GRANT_TYPES.deviceCode: {
      const deviceCode = fields.required('deviceCode');
      fields.check();
      tokens = ctx.store.redeemDeviceCode(client, deviceCode, now);
      break;
    }
    case GRANT_TYPES.authorizationCode: {
      const code = fields.required('code');
      const redirectUri = fields.required('redirectUri');
      const codeVerifier = fields.optional('codeVerifier');
      fields.check();
      tokens = ctx.store.redeemAuthorizationCode(client, code, redirectUri, codeVerifier, now);
      break;
    }
    case GRANT_TYPES.refreshToken: {
      const refreshToken = fields.required('refreshToken');
      fields.check();
      tokens = ctx.store.redeemRefreshToken(client, refreshToken, now);
      break;
    }
    default:
      throw oidcError('UnsupportedGrantTypeException', `grant type ${JSON.stringify(grantType)} is not supported`);
  }
  const body: Record<string, unknown> = {
    accessToken: tokens.accessToken,
    tokenType: 'Bearer',
    expiresIn: tokens.expiresIn,
  };
  if (tokens.refreshToken !== undefined) body.refreshToken = tokens.refreshToken;
  return { status: 200, body };
}

function authorize(request: RouteRequest, ctx: OidcContext): Reply {
  const q = request.query;
  const { location } = ctx.store.authorize(
    {
      responseType: q.get('response_type'),
      clientId: q.get('client_id'),
      redirectUri: q.get('redirect_uri'),
      state: q.get('state'),
      codeChallenge: q.get('code_challenge'),
      codeChallengeMethod: q.get('code_challenge_method'),
      scopes: q.get('scopes'),
    },
    ctx.authorizeDecision(),
    ctx.now(),
  );
  return { status: 302, headers: { location } };
}

/** The OIDC rows of the route table. */
export function oidcRoutes(ctx: OidcContext): Route[] {
  return [
    {
      method: 'POST',
      path: '/client/register',
      name: 'register',
      api: 'oidc',
      auth: 'none',
      handle: (r) => registerClient(r, ctx),
    },
    {
      method: 'POST',
      path: '/device_authorization',
      name: 'device-authorization',
      api: 'oidc',
      auth: 'none',
      handle: (r) => startDeviceAuthorization(r, ctx),
    },
    { method: 'POST', path: '/token', name: 'token', api: 'oidc', auth: 'none', handle: (r) => createToken(r, ctx) },
    {
      method: 'GET',
      path: '/authorize',
      name: 'authorize',
      api: 'oidc',
      auth: 'none',
      handle: (r) => authorize(r, ctx),
    },
  ];
}
