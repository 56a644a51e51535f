/** Typed errors with a stable code and exit status; the composition root maps them to exit codes. */

/** Exit statuses of the command-line contract (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  aws: 1,
  usage: 2,
  signInRequired: 3,
  configRefused: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable error codes; each maps to one exit status. */
export type ErrorCode =
  | 'usage'
  | 'settings.invalid'
  | 'aws.failed'
  | 'sign-in.required'
  | 'config.refused';

const exitFor: Record<ErrorCode, ExitCode> = {
  usage: ExitCode.usage,
  'settings.invalid': ExitCode.usage,
  'aws.failed': ExitCode.aws,
  'sign-in.required': ExitCode.signInRequired,
  'config.refused': ExitCode.configRefused,
};

/** An error a person can act on: the message says what happened, where, and what to do next. */
export class SsoSyncError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SsoSyncError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
  /** The process exit status for this error. */
  get exitCode(): ExitCode {
    return exitFor[this.code];
  }
}

/** Exit status for anything thrown: typed errors carry theirs, anything else is an internal failure (1). */
export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof SsoSyncError ? error.exitCode : ExitCode.aws;
}
