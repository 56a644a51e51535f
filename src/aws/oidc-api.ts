/**
 * The OIDC API, as sso-sync uses it: register a client, start a device authorization, create a token with one of
 * three grants. Owned here so that sign-in and refresh depend on these calls, not on the SDK.
 */
import {
  CreateTokenCommand,
  RegisterClientCommand,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';

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
  if (value === undefined || value === null || value === '') throw new Error(`the OIDC service returned no ${what}`);
  return value;
}

/** An OidcApi on the SDK's SSO OIDC client for one region. */
export function createOidcApi(region: string, env: NodeJS.ProcessEnv): OidcApi {
  // Retries belong to the callers: device polling and refresh each have their own rules for each error.
  const override = env.AWS_ENDPOINT_URL_SSO_OIDC;
  const client = new SSOOIDCClient({
    region,
    maxAttempts: 1,
    // Without throwOnRequestTimeout the SDK only warns when requestTimeout passes, and the call waits for ever.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
    // The SDK reads the variable from process.env itself; passing it makes the injected env the one that counts.
    ...(override ? { endpoint: override } : {}),
  });
  return {
    endpoint: () => oidcEndpoint(region, env),
    async registerClient(input) {
      const out = await client.send(new RegisterClientCommand({ clientType: 'public', ...input }));
      return {
        clientId: required(out.clientId, 'clientId'),
        clientSecret: required(out.clientSecret, 'clientSecret'),
        expiresAt: new Date(required(out.clientSecretExpiresAt, 'clientSecretExpiresAt') * 1000),
      };
    },
    async startDeviceAuthorization(registration, startUrl) {
      const out = await client.send(
        new StartDeviceAuthorizationCommand({
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
      const out = await client.send(
        new CreateTokenCommand({ clientId: registration.clientId, clientSecret: registration.clientSecret, ...grant }),
      );
      return {
        accessToken: required(out.accessToken, 'accessToken'),
        expiresInSeconds: required(out.expiresIn, 'expiresIn'),
        refreshToken: out.refreshToken || undefined,
      };
    },
  };
}
