/**
 * The `[sso-session NAME]` section `sso-sync init` adds to the AWS config, as `aws configure sso-session` writes it,
 * outside sso-sync's managed blocks. Pure: a text in, a text out; every byte already there is kept.
 */
import { bomBytes, scanConfig } from '../core/config-text.js';

/** The section's content. */
export interface NewSession {
  name: string;
  startUrl: string;
  region: string;
}

/** The section's lines, in the AWS CLI's order, each ending with `eol`. */
export function sessionSectionText(session: NewSession, eol: '\n' | '\r\n' = '\n'): string {
  return [
    `[sso-session ${session.name}]`,
    `sso_start_url = ${session.startUrl}`,
    `sso_region = ${session.region}`,
    'sso_registration_scopes = sso:account:access',
  ]
    .map((line) => line + eol)
    .join('');
}

/**
 * The config with the section added: above sso-sync's first managed block, so that a session stands before the
 * profiles generated for it, or at the end when there is none. A blank line sets it apart; the file's line endings
 * and byte-order mark are kept. The text is a byte string (latin1), as the config reader returns it.
 */
export function withSessionSection(file: string | undefined, session: NewSession): string {
  const scan = scanConfig(file ?? '');
  const { text, eol } = scan;
  const at = scan.blocks[0]?.beginAt ?? text.length;
  let before = text.slice(0, at);
  // A last line without its line ending gets one, or the header would join it.
  if (before !== '' && !before.endsWith('\n')) before += eol;
  const gap = before === '' || before.endsWith(`${eol}${eol}`) || before === eol ? '' : eol;
  const after = at < text.length ? eol : '';
  return `${scan.bom ? bomBytes : ''}${before}${gap}${sessionSectionText(session, eol)}${after}${text.slice(at)}`;
}
