/**
 * The services' error replies: an HTTP status, the `x-amzn-ErrorType` name the SDK turns into an error class, a
 * message.
 */

/**
 * An error reply; handlers throw it and the server writes it in the service's wire format. The portal API sends
 * `{"message": ...}`; the OIDC API sends `{"error": <oauthError>, "error_description": <message>}`, so an error with
 * an `oauthError` code is written the OIDC way.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly oauthError: string | undefined;
  constructor(status: number, type: string, message: string, oauthError?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.oauthError = oauthError;
  }

  /** The JSON body the service would send for this error. */
  wireBody(): Record<string, string> {
    return this.oauthError === undefined
      ? { message: this.message }
      : { error: this.oauthError, error_description: this.message };
  }
}

/** 400 InvalidRequestException: a parameter is missing or out of range. */
export function invalidRequest(message: string): ApiError {
  return new ApiError(400, 'InvalidRequestException', message);
}

/** 401 UnauthorizedException: the bearer token is missing, unknown, revoked or expired. */
export function unauthorized(message: string): ApiError {
  return new ApiError(401, 'UnauthorizedException', message);
}

/** 404 ResourceNotFoundException: the named resource (an account) does not exist. */
export function resourceNotFound(message: string): ApiError {
  return new ApiError(404, 'ResourceNotFoundException', message);
}

/** 429 TooManyRequestsException: the throttle's bucket is empty. */
export function tooManyRequests(): ApiError {
  return new ApiError(429, 'TooManyRequestsException', 'Rate exceeded');
}
