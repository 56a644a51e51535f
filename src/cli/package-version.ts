/** The installed package's version, read from its package.json (the same place from the tsc build and the bundle). */
import { readFileSync } from 'node:fs';

/** The version in package.json, as installed now. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
