/** Recognising config values that are secrets, so that a diff or a log line shows that a key changed, not its value. */

/** AWS config and credentials keys whose values are secret, and any key named like one. */
const secretKey =
  /^(aws_secret_access_key|aws_session_token|aws_security_token)$|secret|token|password|passphrase|credential/i;

/** True when a config key's value must not be shown. */
export function isSecretKey(key: string): boolean {
  return secretKey.test(key.trim());
}

/** The placeholder shown instead of a secret value. */
export const masked = '********';

/** A config text with the value of every secret-looking `key = value` line replaced, for showing to people. */
export function maskSecretValues(text: string): string {
  return text.replace(
    /^([ \t]*)([^=:\r\n#;[]+?)([ \t]*[=:][ \t]*)([^\r\n]*)$/gm,
    (line, indent: string, key: string, sep: string, value: string) =>
      isSecretKey(key) && value !== '' ? `${indent}${key}${sep}${masked}` : line,
  );
}
