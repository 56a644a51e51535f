/**
 * The SHA-256 of a text, in hex, with Node's crypto: how sso-sync remembers a file's content without keeping it. Short
 * texts (tokens, names) are hashed with short-hash.ts.
 */
import { createHash } from 'node:crypto';

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
