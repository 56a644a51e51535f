/** The service's error replies: an HTTP status, the `x-amzn-ErrorType` name the SDK turns into an error class, a message. */

/** An error reply; handlers throw it and the server writes it in the service's wire format. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, type: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
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
