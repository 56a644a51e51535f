/**
 * The build of the installed command (`npm run bundle`, part of `npm run build`): src/cli/main.ts, the entry at
 * dist/src/cli/main.js (the path installs and service units name), and everything it loads, the dependencies
 * included, bundled by esbuild: the command line in cli.js, each command's modules in `bundled-*.js` chunks beside it
 * that load only when that command runs.
 * The chunks sit in the same directory as main.js, so that paths found from a module's own place (package.json, the
 * service templates, main.js itself) are the same as in the tsc build.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outdir = path.join(root, 'dist', 'src', 'cli');

/**
 * The bundled CommonJS code (the AWS SDK, pino) calls `require`, which an ES module lacks; esbuild's `__require`
 * helper looks for one where it is defined. Only that chunk is given one: a `createRequire` in every chunk would
 * cost each command a few milliseconds of start.
 */
const requireLine = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\n";

/** A build that takes the module of this import path from beside it at run time instead of bundling it. */
const apart = (file: string): Plugin => ({
  name: `apart-${file}`,
  setup(b) {
    b.onResolve({ filter: new RegExp(`^\\./${file.replace('.', '\\.')}$`) }, () => ({
      path: `./${file}`,
      external: true,
    }));
  },
});

/** The module that takes a built-in as its CommonJS object (see `builtins`). */
const builtinModuleFile = path.join(root, 'src', 'cli', 'builtin-module.ts');

/** What `read` gives, without the deprecation warning a built-in's getter may print (`crypto.fips`). */
function quietly<T>(read: () => T): T {
  const before = process.noDeprecation;
  process.noDeprecation = true;
  try {
    return read();
  } finally {
    process.noDeprecation = before;
  }
}

/**
 * Built-ins taken only when one of their functions is first called. `node:crypto` is 20 of Node's internal modules and
 * 4-5 ms to load, which `status`, `log` and `--help` never need (sso-sync's short hashes are @noble/hashes', see
 * short-hash.ts), yet the modules they share with the sync import it.
 */
const loadedWhenCalled = new Set(['crypto']);

/**
 * Node's built-in modules taken as CommonJS objects rather than through Node's ES-module facade for them. The facade
 * reads every export of the module once it is imported, lazy getters included: an `import { watch } from 'node:fs'`
 * loads fs/promises, readline and the streams (30 more of Node's internal modules, 3.2 MB more resident for as long
 * as the process runs), and one of `node:util` or `node:process` as many. Each `import` of a built-in in the bundles
 * is served instead by a module that takes the object once (builtin-module.ts) and reads an export only where the
 * bundle uses it: each read is marked pure, and esbuild drops those nothing uses. A `require` of a built-in (the
 * bundled CommonJS code's) is Node's own, and took no facade anyway.
 */
const builtins: Plugin = {
  name: 'builtins',
  setup(b) {
    const known = new Set(builtinModules);
    const bare = (id: string) => id.replace(/^node:/, '');
    b.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, ({ path: id, kind, importer }) => {
      if (kind !== 'import-statement' || !known.has(bare(id)) || importer === builtinModuleFile) return undefined;
      return { path: bare(id), namespace: 'builtin' };
    });
    const requireBuiltin = createRequire(import.meta.url);
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ path: id }) => {
      const real = requireBuiltin(`node:${id}`) as Record<string, unknown>;
      const names = Object.keys(Object.getOwnPropertyDescriptors(real)).filter(
        (name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default',
      );
      const header = `import { builtinModule } from ${JSON.stringify(builtinModuleFile)};\n`;
      if (!loadedWhenCalled.has(id)) {
        const contents =
          header +
          `const m = builtinModule('node:${id}');\n` +
          'const builtinExport = (name) => m[name];\n' +
          'export default m;\n' +
          names.map((name) => `export const ${name} = /* @__PURE__ */ builtinExport('${name}');\n`).join('');
        return { contents, loader: 'js', resolveDir: root };
      }
      // Its functions (not its classes) load it on their first call; its other exports, where used, when the bundle
      // that uses them starts; a default import of it fails the build.
      const called = (name: string) => /^[a-z]/.test(name) && typeof quietly(() => real[name]) === 'function';
      const contents =
        header +
        `let m;\nconst loaded = () => (m ??= builtinModule('node:${id}'));\n` +
        'const builtinExport = (name) => loaded()[name];\n' +
        names
          .map((name) =>
            called(name)
              ? `export function ${name}(...args) { return loaded().${name}(...args); }\n`
              : `export const ${name} = /* @__PURE__ */ builtinExport('${name}');\n`,
          )
          .join('');
      return { contents, loader: 'js', resolveDir: root };
    });
  },
};

/** Gives esbuild's `__require` a `require` in the files that define it; how many files that was. */
async function giveRequire(names: string[]): Promise<number> {
  let given = 0;
  for (const name of names) {
    const file = path.join(outdir, name);
    const text = await readFile(file, 'utf8');
    if (!/^var __require = /m.test(text)) continue;
    const hashbang = text.startsWith('#!') ? text.slice(0, text.indexOf('\n') + 1) : '';
    await writeFile(file, hashbang + requireLine + text.slice(hashbang.length));
    given++;
  }
  return given;
}

/** What every build here is: ES modules for Node 22 and later, everything they import bundled. */
const esmForNode = { bundle: true, platform: 'node', format: 'esm', target: 'node22', logLevel: 'warning' } as const;

async function bundle(): Promise<void> {
  for (const name of await readdir(outdir)) if (name.startsWith('bundled-')) await rm(path.join(outdir, name));
  // The daemon's long-lived process (daemon-command.ts) is built apart, into one file of its own at the path the tsc
  // build gives it: each module of a split build costs the process that loads it memory for as long as it runs,
  // and this one runs for weeks. The commands' build leaves its import to that file.
  await build({
    entryPoints: [path.join(root, 'src', 'cli', 'daemon-command.ts')],
    ...esmForNode,
    outfile: path.join(outdir, 'daemon-command.js'),
    // pino, for a terminal only, comes from the commands' build (terminal-log.js); the AWS SDK never loads here.
    plugins: [apart('terminal-log.js'), builtins],
    external: ['@aws-sdk/*', '@smithy/*'],
  });
  // The entry (main.ts) is built apart too, into a file that imports nothing before its first line runs: the daemon's
  // process turns V8's compiling tiers off there (daemon-tiers.ts), and each module loaded before that is a cost.
  // It then loads the daemon's file or the command line's (cli.js).
  await build({
    entryPoints: [path.join(root, 'src', 'cli', 'main.ts')],
    ...esmForNode,
    outfile: path.join(outdir, 'main.js'),
    plugins: [apart('cli.js'), apart('daemon-command.js')],
  });
  await build({
    plugins: [apart('daemon-command.js'), builtins],
    // The daemon's worker (worker.ts), which the daemon forks, and its terminal logger are entries of their own.
    entryPoints: ['cli.ts', 'worker.ts', 'terminal-log.ts'].map((f) => path.join(root, 'src', 'cli', f)),
    ...esmForNode,
    splitting: true,
    outdir,
    chunkNames: 'bundled-[name]-[hash]',
  });
  const entries = ['cli.js', 'worker.js', 'terminal-log.js'];
  const chunks = (await readdir(outdir)).filter((n) => entries.includes(n) || n.startsWith('bundled-'));
  const given = await giveRequire(chunks);
  if (given !== 1) throw new Error(`expected one chunk to define esbuild's __require, found ${given}`);
  await giveRequire(['daemon-command.js']);
}

await bundle();
