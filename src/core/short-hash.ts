/**
 * SHA-1 and SHA-256 of short texts (a session's name, a token, a file name's key) in plain JavaScript, with
 * @noble/hashes: the same hex as Node's crypto gives, without loading it. The daemon's own process takes these
 * hashes and does without Node's crypto, which would stay resident in it for weeks (about 1.3 MB measured,
 * bench/idle.ts); every process takes them this way, so that a hash a worker sends the daemon is the one the daemon
 * takes itself. A file's content is hashed with Node's crypto (sha256.ts), in the processes that read files.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** The SHA-1 of a short text's UTF-8 bytes, in hex. */
export const shortSha1Hex = (text: string): string => bytesToHex(sha1(utf8ToBytes(text)));

/** The SHA-256 of a short text's UTF-8 bytes, in hex. */
export const shortSha256Hex = (text: string): string => bytesToHex(sha256(utf8ToBytes(text)));
