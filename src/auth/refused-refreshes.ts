/**
 * The refresh tokens the service refused (InvalidGrant and the like), so that a long-running process never sends one
 * again: only a new sign-in, which brings a new refresh token, can help. Owned by the daemon and handed to each token
 * keeper it makes; a run by hand has no use for one.
 */
import { shortSha256Hex } from '../core/short-hash.js';

// Only a hash is kept: the process holds no refresh token longer than it needs.

/** Refresh tokens the service refused, by hash. */
export class RefusedRefreshes {
  private readonly refused = new Set<string>();

  /**
   * Starts with the hashes of the refresh tokens already refused (in a worker: those the daemon knows);
   * `onRefused` hears of each one refused from now on, by its hash (a worker tells the daemon).
   */
  constructor(
    hashes: Iterable<string> = [],
    private readonly onRefused?: (hash: string) => void,
  ) {
    for (const hash of hashes) this.refused.add(hash);
  }

  /** The service refused this refresh token; `onRefused` hears of its hash. */
  add(refreshToken: string): void {
    this.addHash(shortSha256Hex(refreshToken));
  }

  /** The service refused the refresh token of this hash. */
  addHash(hash: string): void {
    if (this.refused.has(hash)) return;
    this.refused.add(hash);
    this.onRefused?.(hash);
  }

  /** The hashes of every refresh token refused so far. */
  hashes(): string[] {
    return [...this.refused];
  }

  /** True when the service already refused this refresh token. */
  has(refreshToken: string | undefined): boolean {
    return refreshToken !== undefined && this.refused.has(shortSha256Hex(refreshToken));
  }
}
