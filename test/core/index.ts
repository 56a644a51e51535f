/**
 * Lets `node --test dist/test/core/` run this folder: Node resolves a directory to its index.js, which loads
 * every *.test.js file here. `npm test` finds those files itself and never loads this one.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const here = fileURLToPath(new URL('.', import.meta.url));
for (const file of readdirSync(here)
  .filter((f) => f.endsWith('.test.js'))
  .sort()) {
  await import(pathToFileURL(join(here, file)).href);
}
