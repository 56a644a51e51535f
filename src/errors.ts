/** Typed errors with a stable code and exit status; the composition root maps them to exit codes. */

/** Exit statuses of the command-line contract (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  aws: 1,
  usage: 2,
  signInRequired: 3,
  configRefused: 4,
  /** The person stopped `sso-sync init` at a prompt (Ctrl-C, or Ctrl-D): 128 + SIGINT, as shells report Ctrl-C. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable error codes; each maps to one exit status. */
export type ErrorCode =
  | 'usage'
  | 'settings.invalid'
  | 'aws.failed'
  | 'sign-in.required'
  | 'config.refused'
  | 'service.failed'
  | 'worker.failed'
  | 'interrupted';

const exitFor: Record<ErrorCode, ExitCode> = {
  usage: ExitCode.usage,
  'settings.invalid': ExitCode.usage,
  'aws.failed': ExitCode.aws,
  'sign-in.required': ExitCode.signInRequired,
  'config.refused': ExitCode.configRefused,
  // A systemctl or launchctl command failed: a failure of the outside world, like a failed call to AWS.
  'service.failed': ExitCode.aws,
  // A daemon's worker process that ended without its answer: the daemon tries the work again.
  'worker.failed': ExitCode.aws,
  interrupted: ExitCode.interrupted,
};

/** Marks an SsoSyncError, whichever copy of this module made it. */
const sameKind = Symbol.for('sso-sync.SsoSyncError');

/** An error a person can act on: the message says what happened, where, and what to do next. */
export class SsoSyncError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly [sameKind] = true;
  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SsoSyncError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
  /**
   * The daemon's process is built apart from the commands (build/bundle.ts), each with its own copy of this class:
   * an error the daemon's copy made is one of these to the other copy too.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // A subclass, should there be one, is matched as usual.
    if (this !== SsoSyncError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [sameKind]?: unknown })[sameKind] === true;
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

/** A file-system error in words a person reads (never the file's content). */
export function describeFsError(error: unknown): string {
  const code = errorCode(error);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'the file system is read-only';
    case 'EDQUOT':
      return 'the disk quota is exceeded';
    default:
      return code ?? String(error);
  }
}

/** What to do about a file-system error, as the end of a sentence. */
export function fsRemedy(error: unknown): string {
  switch (errorCode(error)) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'free some space there';
    case 'EACCES':
    case 'EPERM':
      return "fix that directory's permissions";
    case 'EROFS':
      return 'make that file system writable';
    default:
      return 'check that directory';
  }
}

/** What to run to sign in again; the message every "sign-in required" ends with. */
export function signInHint(session: string): string {
  return `run \`sso-sync login --session ${session}\` (or \`aws sso login --sso-session ${session}\`)`;
}

/** The `code` of a system error (`ENOENT`, `EACCES`…) or of any error that carries a string code; else undefined. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** The `name` of an error (the SDK's exception name, say); undefined for a thrown value that is not an object. */
export function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
    ? error.name
    : undefined;
}

/** The message of anything thrown: an Error's message, else the value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The stack of an Error (its message when it has none), else the thrown value as text: for internal errors. */
export function errorStack(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
