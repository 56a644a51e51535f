/**
 * The full load of a settings file's text: YAML, the schema, the cron check, and every problem reported at once,
 * naming the file and the key. Loaded only when the settings cache does not hold the text (see load.ts).
 */
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { SsoSyncError } from '../errors.js';
import { keysAt, meantKey, unquotedTemplate } from './hints.js';
import { resolveSettings, settingsSchema, type RawSettings, type Settings } from './schema.js';

function keyPath(issuePath: readonly PropertyKey[]): string {
  let out = '';
  for (const part of issuePath)
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out || '(top level)';
}

/** Formats zod issues as `file: key: problem` lines. */
export function describeIssues(file: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const where = keyPath(i.path);
    if (i.code === 'unrecognized_keys') {
      const known = keysAt(settingsSchema, i.path);
      const keys = i.keys.map((k) => `${k}${meantKey(k, known)}`).join(', ');
      return `${file}: ${where}: unknown key${i.keys.length > 1 ? 's' : ''} ${keys}`;
    }
    // A bad record key (a session name, a `set` key) carries the reason in its own nested issues.
    if (i.code === 'invalid_key') return `${file}: ${where}: invalid key: ${i.issues.map((n) => n.message).join('; ')}`;
    return `${file}: ${where}: ${i.message}`;
  });
}

/**
 * Parses and checks settings text; the settings as the schema gives them (before defaults). Throws one error listing
 * every problem.
 */
export function checkSettings(text: string, file: string): RawSettings {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const template = unquotedTemplate(text);
  const quote = template
    ? [
        `${file}:${template.line}: ${template.key}: a value that starts with { must be quoted in YAML ` +
          `(${template.key}: "{account}-{role}"), or YAML reads it as a mapping`,
      ]
    : [];
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `${file}:${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
    throw invalid(file, [...quote, ...lines]);
  }
  const result = settingsSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) throw invalid(file, [...quote, ...describeIssues(file, result.error.issues)]);
  return result.data;
}

/** Parses and checks settings text, and applies the defaults; throws one error listing every problem. */
export function parseSettings(text: string, file: string): Settings {
  return resolveSettings(checkSettings(text, file), file);
}

function invalid(file: string, problems: string[]): SsoSyncError {
  return new SsoSyncError(
    'settings.invalid',
    `the settings file is not valid:\n  ${problems.join('\n  ')}\nFix ${file} and run again (see the settings ` +
      `reference in the README).`,
  );
}
