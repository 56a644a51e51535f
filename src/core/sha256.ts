/** The SHA-256 of a text, in hex: how sso-sync remembers a token or a file's content without keeping it. */
import { createHash } from 'node:crypto';

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
