/** The token the benchmarks' `bench` sso-session signs in with: issued by the emulator, in the AWS CLI's cache. */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Emulator } from '../src/emulator/server.js';

export function writeBenchToken(
  home: string,
  emulator: Emulator,
  startUrl = 'https://d-1234567890.awsapps.com/start',
): void {
  const cache = path.join(home, '.aws', 'sso', 'cache');
  mkdirSync(cache, { recursive: true });
  const { accessToken, expiresAt } = emulator.issueAccessToken({ expiresInSeconds: 3600 });
  writeFileSync(
    path.join(cache, `${createHash('sha1').update('bench').digest('hex')}.json`),
    JSON.stringify({
      startUrl,
      region: 'eu-north-1',
      accessToken,
      expiresAt: expiresAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    }),
  );
}
