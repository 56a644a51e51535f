/** The service templates shipped in the package (systemd/, launchd/) and how their placeholders are filled. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The package root: this file is dist/src/service/template.js once built. */
const packageRoot = new URL('../../../', import.meta.url);

/** Where a template lives in the package. */
export function templatePath(kind: 'systemd' | 'launchd'): string {
  const file = kind === 'systemd' ? 'systemd/sso-sync.service' : 'launchd/io.github.sso-sync.plist';
  return fileURLToPath(new URL(file, packageRoot));
}

/** Reads a template as shipped. */
export async function readServiceTemplate(kind: 'systemd' | 'launchd'): Promise<string> {
  return readFile(templatePath(kind), 'utf8');
}

/**
 * Replaces every `@NAME@` with its value, already escaped for where it stands. A placeholder without a
 * value, or a value without a placeholder, means the template and the code disagree: that is a bug, not
 * something a user can fix, so it throws a plain error.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const used = new Set<string>();
  const text = template.replace(/@([A-Z][A-Z_]*)@/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined)
      throw new Error(`the service template has a placeholder @${name}@ that sso-sync does not fill`);
    used.add(name);
    return value;
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0)
    throw new Error(`the service template lacks the placeholders ${unused.map((n) => `@${n}@`).join(', ')}`);
  return text;
}
