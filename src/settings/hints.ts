/**
 * Hints for settings mistakes a person makes: the key probably meant for an unknown one (from the schema itself,
 * so the hints never drift from it), and the quoting a `{placeholder}` template needs in YAML.
 */
import type { z } from 'zod';
import { nearest } from '../core/nearest.js';

/** A zod schema's definition, as far as the walk below reads it. */
interface Def {
  type: string;
  shape?: Record<string, { def: Def }>;
  innerType?: { def: Def };
  valueType?: { def: Def };
  element?: { def: Def };
}

/** The keys the schema allows in the object at `path` (record keys and array indexes stepped over). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let def = (schema as unknown as { def: Def }).def;
  const unwrap = () => {
    while ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable') && def.innerType)
      def = def.innerType.def;
  };
  for (const step of path) {
    unwrap();
    if (def.type === 'object' && def.shape && typeof step === 'string' && step in def.shape) def = def.shape[step]!.def;
    else if (def.type === 'record' && def.valueType) def = def.valueType.def;
    else if (def.type === 'array' && def.element) def = def.element.def;
    else return [];
  }
  unwrap();
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** ` (did you mean KEY?)` for an unknown key near a known one, else nothing. */
export function meantKey(unknown: string, known: readonly string[]): string {
  const meant = nearest(unknown, known);
  return meant === undefined ? '' : ` (did you mean ${meant}?)`;
}

/**
 * The hint for a `{placeholder}` template written without quotes: YAML reads `name: {account}-{role}` as a mapping
 * (or fails on it). Given the file's text, the line of such a value, if there is one.
 */
export function unquotedTemplate(text: string): { line: number; key: string } | undefined {
  const lines = text.split(/\r?\n/);
  const at = lines.findIndex((l) => /^\s*[\w-]+:\s*\{[a-z_]+\}/.test(l));
  if (at === -1) return undefined;
  return { line: at + 1, key: /^\s*([\w-]+):/.exec(lines[at]!)![1]! };
}
