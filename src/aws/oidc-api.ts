/**
 * The OIDC API, as sso-sync uses it: register a client, start a device authorization, create a token with one of
 * three grants. Owned here so that sign-in and refresh depend on these calls, not on the SDK.
 */
import type { SSOOIDCClient } from '@aws-sdk/client-sso-oidc';

/** The SDK's OIDC module, loaded at the first call (see createOidcApi). */
type OidcSdk = typeof import('@aws-sdk/client-sso-oidc');

/** A client registration; the secret never leaves sso-sync except into the token cache. */
export interface Registration {
  clientId: string;
  clientSecret: string;
  expiresAt: Date;
}

/** What StartDeviceAuthorization returns. */
export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string | undefined;
  expiresInSeconds: number;
  intervalSeconds: number;
}

/** What CreateToken returns. */
export interface TokenGrant {
  accessToken: string;
  expiresInSeconds: number;
  refreshToken: string | undefined;
}

/** One of the three grants sso-sync uses. */
export type Grant =
  | { grantType: 'urn:ietf:params:oauth:grant-type:device_code'; deviceCode: string }
  | { grantType: 'authorization_code'; code: string; codeVerifier: string; redirectUri: string }
  | { grantType: 'refresh_token'; refreshToken: string };

/** The OIDC calls of sign-in and refresh. */
export interface OidcApi {
  /** The service's base URL, where `/authorize` is. */
  endpoint(): string;
  registerClient(input: {
    clientName: string;
    scopes: string[];
    grantTypes: string[];
    redirectUris?: string[];
    issuerUrl?: string;
  }): Promise<Registration>;
  startDeviceAuthorization(registration: Registration, startUrl: string): Promise<DeviceAuthorization>;
  createToken(registration: Pick<Registration, 'clientId' | 'clientSecret'>, grant: Grant): Promise<TokenGrant>;
}

/** The OIDC endpoint for a region: `AWS_ENDPOINT_URL_SSO_OIDC` when set (the SDK honours it too), else AWS's. */
export function oidcEndpoint(region: string, env: NodeJS.ProcessEnv): string {
  return (env.AWS_ENDPOINT_URL_SSO_OIDC || `https://oidc.${region}.amazonaws.com`).replace(/\/+$/, '');
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === null || value === '') throw new InvalidReplyError(`it holds no ${what}`);
  return value;
}

/**
 * The longest life a token or a registration can be given: 90 days is more than any IAM Identity Center session or
 * access token lasts. A longer one (or one that is not a whole number of seconds above zero) is not a real answer.
 */
export const maxLifetimeSeconds = 90 * 86_400;

/**
 * An answer of the OIDC service that cannot be used as it is: a token that cannot be sent, a lifetime that is not
 * one. Nothing it carries replaces what sso-sync has; a rotated refresh token that is itself sound is handed on (not
 * enumerable, so that no log serializer ever prints it), so that it is not lost.
 */
export class InvalidReplyError extends Error {
  declare readonly rotatedRefreshToken: string | undefined;
  constructor(problem: string, rotatedRefreshToken?: string) {
    super(`the OIDC service's answer cannot be used: ${problem}`);
    this.name = 'InvalidReplyError';
    Object.defineProperty(this, 'rotatedRefreshToken', { value: rotatedRefreshToken, enumerable: false });
  }
}

/** A token that can be sent as it is: printable ASCII, no spaces, not empty. */
const sendable = (value: unknown): value is string => typeof value === 'string' && /^[\x21-\x7e]+$/.test(value);

/** A lifetime in seconds: a whole number from 1 to `maxLifetimeSeconds`. */
const lifetime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= maxLifetimeSeconds;

/** Checks CreateToken's answer before anything is done with it; the problem never quotes a token. */
export function checkGrant(out: { accessToken?: unknown; expiresIn?: unknown; refreshToken?: unknown }): TokenGrant {
  const refresh = out.refreshToken === undefined || out.refreshToken === null || out.refreshToken === '';
  const refreshOk = !refresh && sendable(out.refreshToken);
  const salvage = refreshOk ? (out.refreshToken as string) : undefined;
  if (!refresh && !refreshOk) throw new InvalidReplyError('its refresh token holds characters no token has');
  if (!sendable(out.accessToken))
    throw new InvalidReplyError('its access token is missing or holds characters no token has', salvage);
  if (!lifetime(out.expiresIn)) {
    const given = typeof out.expiresIn === 'number' ? String(out.expiresIn) : typeof out.expiresIn;
    throw new InvalidReplyError(`expiresIn ${given} is not a lifetime of 1 to ${maxLifetimeSeconds} seconds`, salvage);
  }
  return { accessToken: out.accessToken, expiresInSeconds: out.expiresIn, refreshToken: salvage };
}

/** The SDK's OIDC module, loaded once for the process (a second import is the same module). */
const loadOidcSdk = () =>
  import('@aws-sdk/client-sso-oidc').then((namespace: OidcSdk & { default?: OidcSdk }) => {
    // The package is CommonJS: bundled, its namespace holds only `default` (its exports); Node's own loader gives
    // the exports by name as well.
    return namespace.default ?? namespace;
  });

/**
 * An OidcApi on the SDK's SSO OIDC client for one region. The SDK module is loaded at the first call, not before:
 * most runs find a token that needs no refresh and never call, and loading it would lengthen every start.
 */
export function createOidcApi(region: string, env: NodeJS.ProcessEnv): OidcApi {
  // Retries belong to the callers: device polling and refresh each have their own rules for each error.
  const override = env.AWS_ENDPOINT_URL_SSO_OIDC;
  const oidcClient = (m: OidcSdk) =>
    new m.SSOOIDCClient({
      region,
      maxAttempts: 1,
      // Without throwOnRequestTimeout the SDK only warns when requestTimeout passes, and the call waits for ever.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
      // The SDK reads the variable from process.env itself; passing it makes the injected env the one that counts.
      ...(override ? { endpoint: override } : {}),
    });
  let loaded: Promise<{ sdk: OidcSdk; client: SSOOIDCClient }> | undefined;
  const sdk = () => (loaded ??= loadOidcSdk().then((m) => ({ sdk: m, client: oidcClient(m) })));
  return {
    endpoint: () => oidcEndpoint(region, env),
    async registerClient(input) {
      const { sdk: m, client } = await sdk();
      const out = await client.send(new m.RegisterClientCommand({ clientType: 'public', ...input }));
      const expiresAt = new Date(required(out.clientSecretExpiresAt, 'clientSecretExpiresAt') * 1000);
      if (Number.isNaN(expiresAt.getTime())) throw new InvalidReplyError('clientSecretExpiresAt is not a time');
      return {
        clientId: required(out.clientId, 'clientId'),
        clientSecret: required(out.clientSecret, 'clientSecret'),
        expiresAt,
      };
    },
    async startDeviceAuthorization(registration, startUrl) {
      const { sdk: m, client } = await sdk();
      const out = await client.send(
        new m.StartDeviceAuthorizationCommand({
          clientId: registration.clientId,
          clientSecret: registration.clientSecret,
          startUrl,
        }),
      );
      return {
        deviceCode: required(out.deviceCode, 'deviceCode'),
        userCode: required(out.userCode, 'userCode'),
        verificationUri: required(out.verificationUri, 'verificationUri'),
        verificationUriComplete: out.verificationUriComplete,
        expiresInSeconds: out.expiresIn ?? 600,
        intervalSeconds: out.interval ?? 5,
      };
    },
    async createToken(registration, grant) {
      const { sdk: m, client } = await sdk();
      const out = await client.send(
        new m.CreateTokenCommand({
          clientId: registration.clientId,
          clientSecret: registration.clientSecret,
          ...grant,
        }),
      );
      return checkGrant(out);
    },
  };
}
