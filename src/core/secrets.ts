/**
 * Recognising config values that are secrets, so that a diff or a log line shows that a key changed, not its value.
 *
 * The rule (the README's "Logs" section states it): a key is secret when its name contains `secret`, `key`
 * (`aws_access_key_id` and `apikey` too), `token`, `pass` (password, passphrase, db_pass), `pwd`, `credential` or
 * `private`, or is `external_id`; case does not matter. Its value is masked in a
 * setting line and in a commented-out one (`# aws_secret_access_key = ...`, `;key=...`). In any value, the value of
 * a URL query parameter so named (`?token=...`) and the password of a URL (`https://user:password@host`) are masked.
 */

/** Words that make a key (or a URL query parameter) secret wherever they appear in its name. */
const secretWord = /secret|key|token|pass|pwd|credential|private|^external_?id$/i;

/** True when a config key's value must not be shown. */
export function isSecretKey(key: string): boolean {
  return secretWord.test(key.trim());
}

/** The placeholder shown instead of a secret value. */
export const masked = '********';

/** A setting line, or a commented-out one: indent, comment mark, key, separator, value. */
const settingLine = /^([ \t]*)([#;][ \t]*)?([^=:\r\n#;[\s][^=:\r\n]*?)([ \t]*[=:][ \t]*)([^\r\n]*)$/gm;

/** URL query parameters (`?token=x`, `&api_key=y`) anywhere in a value. */
const queryParameter = /([?&])([^=&#\s]+)=([^&#\s]*)/g;

/** A URL's user information with a password (`scheme://user:password@`). */
const urlPassword = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)@/gi;

/** A value with its secret parts masked: query parameters named like secrets, and URL passwords. */
export function maskInValue(value: string): string {
  return value
    .replace(urlPassword, (_all, head: string) => `${head}${masked}@`)
    .replace(queryParameter, (all, mark: string, name: string, v: string) =>
      v !== '' && secretWord.test(name) ? `${mark}${name}=${masked}` : all,
    );
}

/** A config text with every secret in it masked (see the module comment), for showing to people. */
export function maskSecretValues(text: string): string {
  return text.replace(
    settingLine,
    (_line, indent: string, comment: string | undefined, key: string, sep: string, value: string) => {
      const shown = isSecretKey(key) && value !== '' ? masked : maskInValue(value);
      return `${indent}${comment ?? ''}${key}${sep}${shown}`;
    },
  );
}
