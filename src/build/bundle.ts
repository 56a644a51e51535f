/**
 * The build of the installed command (`npm run bundle`, part of `npm run build`): src/cli/main.ts and everything it
 * loads, the dependencies included, bundled by esbuild into dist/src/cli/main.js, the path installs and service
 * units name, with each command's modules in `bundled-*.js` chunks beside it that load only when that command runs.
 * The chunks sit in the same directory as main.js, so that paths found from a module's own place (package.json, the
 * service templates, main.js itself) are the same as in the tsc build.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outdir = path.join(root, 'dist', 'src', 'cli');

/**
 * The bundled CommonJS code (the AWS SDK, pino) calls `require`, which an ES module lacks; esbuild's `__require`
 * helper looks for one where it is defined. Only that chunk is given one: a `createRequire` in every chunk would
 * cost each command a few milliseconds of start.
 */
const requireLine = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\n";

async function bundle(): Promise<void> {
  for (const name of await readdir(outdir)) if (name.startsWith('bundled-')) await rm(path.join(outdir, name));
  await build({
    // The daemon's worker (worker.ts) is a command of its own that the daemon forks: its own entry, sharing chunks.
    entryPoints: [path.join(root, 'src', 'cli', 'main.ts'), path.join(root, 'src', 'cli', 'worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    splitting: true,
    outdir,
    chunkNames: 'bundled-[name]-[hash]',
    logLevel: 'warning',
  });
  let given = 0;
  for (const name of await readdir(outdir)) {
    if (name !== 'main.js' && name !== 'worker.js' && !name.startsWith('bundled-')) continue;
    const file = path.join(outdir, name);
    const text = await readFile(file, 'utf8');
    if (!/^var __require = /m.test(text)) continue;
    const hashbang = text.startsWith('#!') ? text.slice(0, text.indexOf('\n') + 1) : '';
    await writeFile(file, hashbang + requireLine + text.slice(hashbang.length));
    given++;
  }
  if (given !== 1) throw new Error(`expected one chunk to define esbuild's __require, found ${given}`);
}

await bundle();
