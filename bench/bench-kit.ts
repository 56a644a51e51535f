/** What the benchmarks share: the token their sso-session signs in with, and the median of their figures. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Emulator } from '../src/emulator/server.js';
import { tokenCachePath } from '../src/paths.js';

/** Where and how long: the session `bench`, the start URL of the benchmarks' configs, an hour, unless told. */
export interface BenchToken {
  session?: string;
  startUrl?: string;
  expiresInSeconds?: number;
}

/** Writes the token the emulator issued into the AWS CLI's cache under `home`. */
export function writeBenchToken(home: string, emulator: Emulator, token: BenchToken = {}): void {
  const file = tokenCachePath(home, token.session ?? 'bench');
  mkdirSync(path.dirname(file), { recursive: true });
  const { accessToken, expiresAt } = emulator.issueAccessToken({ expiresInSeconds: token.expiresInSeconds ?? 3600 });
  writeFileSync(
    file,
    JSON.stringify({
      startUrl: token.startUrl ?? 'https://d-1234567890.awsapps.com/start',
      region: 'eu-north-1',
      accessToken,
      expiresAt: expiresAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    }),
  );
}

/** The middle value of some figures (the upper middle of an even count). */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
