/** A token-bucket rate limiter as a pure function of its state and the time, so tests need no clock. */

/** How fast the bucket refills and how many requests it lets through in one go. */
export interface ThrottleOptions {
  ratePerSecond: number;
  burst?: number;
}

/** The bucket between two requests: tokens left at `updatedAtMs`. */
export interface BucketState {
  tokens: number;
  updatedAtMs: number;
}

/** A bucket's settings after defaults and validation. */
export interface BucketConfig {
  ratePerSecond: number;
  burst: number;
}

/** Validates throttle options; burst defaults to one second's worth of requests (at least 1). */
export function bucketConfig(options: ThrottleOptions): BucketConfig {
  const { ratePerSecond } = options;
  // A rate of 0 is allowed: the bucket never refills, which makes "the N+1th request is throttled" exact.
  if (!Number.isFinite(ratePerSecond) || ratePerSecond < 0) {
    throw new RangeError(`throttle.ratePerSecond must be a number >= 0, got ${ratePerSecond}`);
  }
  const burst = options.burst ?? Math.max(1, Math.ceil(ratePerSecond));
  if (!Number.isInteger(burst) || burst < 1)
    throw new RangeError(`throttle.burst must be an integer >= 1, got ${burst}`);
  return { ratePerSecond, burst };
}

/** A full bucket at time `nowMs`. */
export function fullBucket(config: BucketConfig, nowMs: number): BucketState {
  return { tokens: config.burst, updatedAtMs: nowMs };
}

/** Refills the bucket up to `nowMs` and takes one token if there is one. */
export function takeToken(
  state: BucketState,
  config: BucketConfig,
  nowMs: number,
): { allowed: boolean; state: BucketState } {
  const elapsedMs = Math.max(0, nowMs - state.updatedAtMs);
  const tokens = Math.min(config.burst, state.tokens + (elapsedMs * config.ratePerSecond) / 1000);
  if (tokens >= 1) return { allowed: true, state: { tokens: tokens - 1, updatedAtMs: nowMs } };
  return { allowed: false, state: { tokens, updatedAtMs: nowMs } };
}
