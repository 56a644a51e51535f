/**
 * A built-in module of Node.js as its CommonJS object, for the bundles' imports of built-ins (see the `builtins`
 * plugin in bundle.ts): `process.getBuiltinModule` (Node.js 22.3 and 20.16 on), else `require` made for this file.
 */
import { createRequire } from 'node:module';

/** What `process` has from Node.js 22.3 on; typed as always there, which it is not before. */
interface MaybeGetBuiltin {
  getBuiltinModule?: (id: string) => unknown;
}

/** The module object of a built-in, such as `node:fs`. */
export function builtinModule(id: string): Record<string, unknown> {
  const fromProcess = (process as MaybeGetBuiltin).getBuiltinModule?.(id);
  return (fromProcess ?? createRequire(import.meta.url)(id)) as Record<string, unknown>;
}
