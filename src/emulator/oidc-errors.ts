/** The OIDC API's error replies, named, coded and numbered as @aws-sdk/client-sso-oidc's model declares them. */
import { ApiError } from './api-error.js';

/**
 * Every OIDC error the emulator sends: HTTP status and the OAuth `error` code the service puts in the body
 * (from the SDK's schemas: `httpError` per error shape; the codes from each shape's documentation).
 */
const OIDC_ERRORS = {
  AccessDeniedException: { status: 400, code: 'access_denied' },
  AuthorizationPendingException: { status: 400, code: 'authorization_pending' },
  ExpiredTokenException: { status: 400, code: 'expired_token' },
  InternalServerException: { status: 500, code: 'server_error' },
  InvalidClientException: { status: 401, code: 'invalid_client' },
  InvalidClientMetadataException: { status: 400, code: 'invalid_client_metadata' },
  InvalidGrantException: { status: 400, code: 'invalid_grant' },
  InvalidRedirectUriException: { status: 400, code: 'invalid_redirect_uri' },
  InvalidRequestException: { status: 400, code: 'invalid_request' },
  InvalidScopeException: { status: 400, code: 'invalid_scope' },
  SlowDownException: { status: 400, code: 'slow_down' },
  UnauthorizedClientException: { status: 400, code: 'unauthorized_client' },
  UnsupportedGrantTypeException: { status: 400, code: 'unsupported_grant_type' },
} as const;

/** The name of an OIDC error, as the SDK's error classes are named. */
export type OidcErrorType = keyof typeof OIDC_ERRORS;

/** An OIDC error reply; `description` becomes `error_description` and must never quote a secret. */
export function oidcError(type: OidcErrorType, description: string): ApiError {
  const { status, code } = OIDC_ERRORS[type];
  return new ApiError(status, type, description, code);
}

/** The OAuth `error` code of an OIDC error type, as used in the authorize redirect (`?error=...`). */
export function oauthCode(type: OidcErrorType): string {
  return OIDC_ERRORS[type].code;
}
