/**
 * What a failed call to AWS means for the person who reads about it: which kind of failure it was, told in one line
 * without the SDK's internals, and the advice that fits that kind. Only a connection that failed or timed out is a
 * matter for the network; a refusal, a throttle, a server error and an answer that is not the service's each get
 * their own words.
 */
import { errorCode, errorName } from '../errors.js';

/** The kinds of failure a person acts on differently. */
export type FailureKind = 'unauthorized' | 'throttled' | 'service' | 'malformed' | 'paging' | 'network' | 'refused';

/** A classified failure: its kind, a one-line summary (name, HTTP status, message, attempts) and the advice. */
export interface AwsFailure {
  kind: FailureKind;
  summary: string;
  advice: string;
}

interface SdkErrorShape {
  message?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $response?: unknown;
}

/** Error codes of a connection that failed, was cut or timed out. */
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'EPROTO',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);

/** The SDK's own hint about a body it could not parse, which means nothing to the person reading. */
const sdkHint =
  /\s*Deserialization error: to see the raw response, inspect the hidden field \{error\}\.\$response on this object\.?/;

/** A one-line description of a failed call: its name, HTTP status, message (cut short) and attempts. */
export function describeFailure(error: unknown): string {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = e.$metadata?.httpStatusCode;
  const attempts = e.$metadata?.attempts ?? 1;
  const name = errorName(error) ?? 'Error';
  // JSON.parse's message quotes the body it choked on, which may hold a token: only say what happened.
  const raw = name === 'SyntaxError' ? 'the body is not valid JSON' : typeof e.message === 'string' ? e.message : '';
  const message = raw.replace(sdkHint, '').replace(/\s+/g, ' ').trim().slice(0, 200);
  const code = errorCode(error);
  return (
    `${name}${status ? ` (HTTP ${status})` : ''}${code && !message.includes(code) ? ` ${code}` : ''}` +
    `${message ? `: ${message}` : ''}${attempts > 1 ? `, after ${attempts} attempts` : ''}`
  );
}

/** Which kind of failure a failed SDK call was. */
export function failureKind(error: unknown): FailureKind {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = e.$metadata?.httpStatusCode;
  const name = errorName(error) ?? '';
  if (status === 401 || name === 'UnauthorizedException') return 'unauthorized';
  if (status === 429 || name === 'TooManyRequestsException' || name === 'ThrottlingException') return 'throttled';
  if (name === 'PagingError') return 'paging';
  if (name === 'InvalidReplyError' || name === 'MalformedAnswerError') return 'malformed';
  // A body that is not the service's JSON: a proxy's or a captive portal's page, or a cut-off answer.
  if (name === 'SyntaxError' || (typeof e.message === 'string' && sdkHint.test(e.message))) return 'malformed';
  if (status !== undefined && status >= 500) return 'service';
  const code = errorCode(error);
  if (name === 'TimeoutError' || (code !== undefined && networkCodes.has(code))) return 'network';
  if (status === undefined) return 'network';
  // Another status with a body the SDK could not place (an HTML page with 403, say) is not the service's either.
  if (name === 'Unknown' || name === 'UnknownError' || /^\d{3}$/.test(name)) return 'malformed';
  return 'refused';
}

/** What to do about a failed call to `service` at `endpoint`, as a sentence that ends the message. */
export function failureAdvice(kind: FailureKind, service: string, endpoint: string): string {
  switch (kind) {
    case 'unauthorized':
      return 'sign in again';
    case 'throttled':
      return (
        `${service} kept answering "too many requests": the request quota of your organisation's IAM Identity ` +
        'Center was used up (other tools and people share it). Run again in a few minutes, or lower ' +
        'sync.concurrency in the settings'
      );
    case 'service':
      return `${service} failed on its own side (a server error), not on yours: run again later`;
    case 'malformed':
      return (
        `the answer from ${endpoint} was not ${service}'s: a proxy (HTTPS_PROXY, HTTP_PROXY), a captive portal ` +
        'or a wrong endpoint setting (AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL_SSO_OIDC) may be answering instead. ' +
        'Check them, then run again'
      );
    case 'paging':
      return (
        `${service}'s listing did not end as a real one does, so it cannot be trusted. Run again later; if it ` +
        `persists, check that nothing (a proxy, an endpoint setting) stands between sso-sync and ${endpoint}`
      );
    case 'network':
      return `could not reach ${endpoint}: check the network (and the proxy, if you use one), then run again`;
    case 'refused':
      return (
        `${service} refused the request. Run again; if it keeps failing, run with --log-level debug and report ` +
        'what it shows'
      );
  }
}

/** Classifies a failed SDK call and says what to do about it. */
export function classifyFailure(error: unknown, service: string, endpoint: string): AwsFailure {
  const kind = failureKind(error);
  return { kind, summary: describeFailure(error), advice: failureAdvice(kind, service, endpoint) };
}
