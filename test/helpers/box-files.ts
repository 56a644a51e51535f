/**
 * The files in a sandbox's HOME that tests read or write directly: the AWS CLI's token cache and sso-sync's settings.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Sandbox } from './sandbox.js';
import { tokenCachePath } from '../../src/paths.js';

/** The session's token as the AWS CLI's cache file holds it (every field of that format is a string). */
export function cachedToken(box: Pick<Sandbox, 'home'>, session = 'mycorp'): Record<string, string> {
  return JSON.parse(readFileSync(tokenCachePath(box.home, session), 'utf8')) as Record<string, string>;
}

/** Writes sso-sync's default settings file (creating its directory); returns its path. */
export function writeSettings(box: Pick<Sandbox, 'home'>, text: string): string {
  const file = path.join(box.home, '.config', 'sso-sync', 'settings.yaml');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}
