/** PKCE (RFC 7636) with the S256 method, the only one the emulator accepts: pure functions of the strings given. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** A code verifier: 43 to 128 of the URL-safe unreserved characters (RFC 7636 section 4.1). */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** An S256 challenge: base64url of a SHA-256 digest without padding, which is always 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9\-_]{43}$/;

/** The S256 challenge of a verifier: base64url(sha256(verifier)), unpadded. */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Whether `challenge` has the shape of an S256 challenge (checked at the authorize step). */
export function isS256Challenge(challenge: string): boolean {
  return S256_CHALLENGE.test(challenge);
}

/** Whether `verifier` is well formed and hashes to `challenge`. */
export function verifyS256(verifier: string, challenge: string): boolean {
  if (!VERIFIER.test(verifier) || !isS256Challenge(challenge)) return false;
  // Both sides are 43 ASCII characters here, so the constant-time comparison has equal lengths to work on.
  return timingSafeEqual(Buffer.from(s256Challenge(verifier)), Buffer.from(challenge));
}
