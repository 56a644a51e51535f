/**
 * The SDK retry strategy for portal calls: paced by an AdaptivePacer, exponential backoff with full jitter,
 * and a separate, larger budget for throttling. The SDK's standard strategy draws every retry from a shared
 * quota of 500 tokens (5 per retry), so a long throttled sync runs out of retries and loses calls; this one
 * has no shared quota, only per-call limits.
 */
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';
import type { Clock } from '../clock/clock.js';
import type { AdaptivePacer } from './pacer.js';

/** Limits for one call. */
export interface RetryOptions {
  /** Attempts for server errors, timeouts and dropped connections. */
  maxAttempts: number;
  /** Attempts when the service keeps answering 429. */
  maxThrottledAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
  /** Told of each retry as it is decided: `throttled` after "too many requests", otherwise a passing failure. */
  onRetry: (throttled: boolean) => void;
}

interface PacedToken extends RetryToken {
  sentAt: number;
  failures: number;
  throttles: number;
}

const defaults: RetryOptions = {
  maxAttempts: 5,
  maxThrottledAttempts: 30,
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  random: Math.random,
  onRetry: () => undefined,
};

function token(sentAt: number, failures: number, throttles: number): PacedToken {
  return { sentAt, failures, throttles, getRetryCount: () => failures + throttles, getRetryDelay: () => 0 };
}

/** A RetryStrategyV2 that sleeps and paces inside refreshRetryTokenForRetry, so the SDK adds no delay of its own. */
export class PacedRetryStrategy implements RetryStrategyV2 {
  private readonly options: RetryOptions;
  retries = 0;

  constructor(
    private readonly pacer: AdaptivePacer,
    private readonly clock: Clock,
    options: Partial<RetryOptions> = {},
  ) {
    this.options = { ...defaults, ...options };
  }

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return token(await this.pacer.acquire(), 0, 0);
  }

  async refreshRetryTokenForRetry(previous: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const t = previous as PacedToken;
    // Client errors (401, 400, a body that does not parse) will not change by asking again.
    if (info.errorType === 'CLIENT_ERROR') throw new Error('not retryable');
    const throttled = info.errorType === 'THROTTLING';
    if (throttled) this.pacer.onThrottle(t.sentAt);
    const failures = t.failures + (throttled ? 0 : 1);
    const throttles = t.throttles + (throttled ? 1 : 0);
    if (failures >= this.options.maxAttempts || throttles >= this.options.maxThrottledAttempts)
      throw new Error('out of attempts');
    const exp = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (failures + throttles - 1));
    const hinted = info.retryAfterHint ? info.retryAfterHint.getTime() - this.clock.now() : 0;
    const delay = Math.min(this.options.maxDelayMs, Math.max(hinted, this.options.random() * exp));
    this.retries++;
    this.options.onRetry(throttled);
    if (delay > 0) await this.clock.sleep(delay);
    return token(await this.pacer.acquire(), failures, throttles);
  }

  recordSuccess(): void {
    this.pacer.onSuccess();
  }
}
