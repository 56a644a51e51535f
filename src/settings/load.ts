/** Finding and reading the settings file; every problem is reported at once, naming the file and the key. */
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { errorCode, errorMessage, SsoSyncError } from '../errors.js';
import { NotAFileError, readRegularFile } from '../fs/read-regular-file.js';
import { keysAt, meantKey, unquotedTemplate } from './hints.js';
import { resolveSettings, settingsSchema, zeroSettings, type Settings } from './schema.js';
import { settingsPath } from '../paths.js';
import { keepSessions } from './sessions-cache.js';

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

/** Why a settings file could not be read, in words. */
function whyUnreadable(error: unknown): string {
  if (error instanceof NotAFileError) return `it is ${error.kind}, not a file`;
  switch (errorCode(error)) {
    case 'ENOENT':
      return 'it does not exist';
    case 'EACCES':
      return 'permission denied';
    default:
      return errorCode(error) ?? errorMessage(error);
  }
}

/** Parses and validates settings text; throws one error listing every problem. */
export function parseSettings(text: string, file: string): Settings {
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
  return resolveSettings(result.data, file);
}

function invalid(file: string, problems: string[]): SsoSyncError {
  return new SsoSyncError(
    'settings.invalid',
    `the settings file is not valid:\n  ${problems.join('\n  ')}\nFix ${file} and run again (see the settings ` +
      `reference in the README).`,
  );
}

/**
 * Loads the settings; with no file at the default place, zero configuration applies. The sessions of a file that
 * passes are kept for `status` (see sessions-cache.ts).
 */
export async function loadSettings(explicit: string | undefined, env: NodeJS.ProcessEnv): Promise<Settings> {
  const { file, explicit: named } = settingsPath(explicit, env);
  let text: string;
  try {
    text = (await readRegularFile(file)).text;
  } catch (error) {
    if (errorCode(error) === 'ENOENT' && !named) return zeroSettings();
    const why = whyUnreadable(error);
    throw new SsoSyncError(
      'settings.invalid',
      `cannot read the settings file ${file}: ${why}. Check the path given by --settings or SSO_SYNC_SETTINGS.`,
    );
  }
  const settings = parseSettings(text, file);
  await keepSessions(env, file, text, settings.sessions);
  return settings;
}
