/**
 * The device authorization grant (RFC 8628) as a state machine: pure functions of a device authorization and the time.
 */

/** Where a device authorization stands: waiting for the user, decided by them, or already exchanged for a token. */
export type DeviceStatus = 'pending' | 'approved' | 'denied' | 'redeemed';

/** One StartDeviceAuthorization and what has happened to it since. */
export interface DeviceAuthorization {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly clientId: string;
  readonly expiresAtMs: number;
  /** The least time between two polls; a faster poll while pending is told to slow down. */
  readonly intervalMs: number;
  readonly status: DeviceStatus;
  /** When the client last polled, if it has. */
  readonly lastPollAtMs?: number;
}

/** What a CreateToken poll with the device code gets. */
export type PollOutcome = 'pending' | 'slow-down' | 'expired' | 'denied' | 'approved' | 'redeemed';

/**
 * A poll at `nowMs`: the answer, and the authorization after it. Expiry wins over everything but an earlier
 * redemption; an approved authorization is answered at once, however fast the poll, and becomes redeemed;
 * the interval is enforced only while pending (slow_down is a kind of authorization_pending).
 */
export function pollDevice(
  auth: DeviceAuthorization,
  nowMs: number,
): { outcome: PollOutcome; next: DeviceAuthorization } {
  if (auth.status === 'redeemed') return { outcome: 'redeemed', next: auth };
  if (nowMs >= auth.expiresAtMs) return { outcome: 'expired', next: auth };
  if (auth.status === 'denied') return { outcome: 'denied', next: auth };
  if (auth.status === 'approved')
    return { outcome: 'approved', next: { ...auth, status: 'redeemed', lastPollAtMs: nowMs } };
  const tooSoon = auth.lastPollAtMs !== undefined && nowMs - auth.lastPollAtMs < auth.intervalMs;
  // Every poll restarts the interval, so a client that keeps polling too fast keeps being told to slow down.
  return { outcome: tooSoon ? 'slow-down' : 'pending', next: { ...auth, lastPollAtMs: nowMs } };
}

/** Why a user's decision could not be recorded. */
export type DecisionRefusal = 'expired' | 'already-decided';

/** The user approves or denies at `nowMs`; only a pending, unexpired authorization can be decided. */
export function decideDevice(
  auth: DeviceAuthorization,
  decision: 'approve' | 'deny',
  nowMs: number,
): { ok: true; next: DeviceAuthorization } | { ok: false; reason: DecisionRefusal } {
  if (nowMs >= auth.expiresAtMs) return { ok: false, reason: 'expired' };
  if (auth.status !== 'pending') return { ok: false, reason: 'already-decided' };
  return { ok: true, next: { ...auth, status: decision === 'approve' ? 'approved' : 'denied' } };
}

/** Whether the authorization still waits for the user at `nowMs`. */
export function isAwaitingUser(auth: DeviceAuthorization, nowMs: number): boolean {
  return auth.status === 'pending' && nowMs < auth.expiresAtMs;
}
