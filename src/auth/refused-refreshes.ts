/**
 * The refresh tokens the service refused (InvalidGrant and the like), so that a long-running process never sends one
 * again: only a new sign-in, which brings a new refresh token, can help. Owned by the daemon and handed to each token
 * keeper it makes; a run by hand has no use for one.
 */
import { sha256Hex } from '../core/sha256.js';

// Only a hash is kept: the process holds no refresh token longer than it needs.

/** Refresh tokens the service refused, by hash. */
export class RefusedRefreshes {
  private readonly refused = new Set<string>();

  /** The service refused this refresh token. */
  add(refreshToken: string): void {
    this.refused.add(sha256Hex(refreshToken));
  }

  /** True when the service already refused this refresh token. */
  has(refreshToken: string | undefined): boolean {
    return refreshToken !== undefined && this.refused.has(sha256Hex(refreshToken));
  }
}
