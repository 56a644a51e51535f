import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
export function createHash(alg: string) {
  const h = alg === 'sha1' ? sha1.create() : sha256.create();
  return { update(d: string | Uint8Array) { h.update(typeof d === 'string' ? new TextEncoder().encode(d) : d); return this; }, digest(enc: string) { const b = h.digest(); return enc === 'hex' ? bytesToHex(b) : Buffer.from(b); } };
}
export function randomBytes(n: number) { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = Math.floor(Math.random() * 256); return b; }
export function randomInt(a: number, b?: number) { const [lo, hi] = b === undefined ? [0, a] : [a, b]; return lo + Math.floor(Math.random() * (hi - lo)); }
