/** Where block text is made: profiles -> the text of one session's managed block. */
import { beginMarkerLine, checksumOf, endMarkerLine } from './config-text.js';
import type { Profile, SessionDef } from './types.js';

/** What one session's block holds. */
export interface BlockContent {
  session: string;
  /** The `[sso-session]` section, when no section outside the blocks defines it already. */
  sessionSection: SessionDef | undefined;
  /** Sorted by name. */
  profiles: readonly Profile[];
}

/** The lines between the markers: the sso-session section, then each profile, separated by blank lines. */
export function renderBody(content: BlockContent): string[] {
  const lines: string[] = [];
  const s = content.sessionSection;
  if (s) {
    lines.push(
      `[sso-session ${s.name}]`,
      `sso_region = ${s.region}`,
      `sso_start_url = ${s.startUrl}`,
      `sso_registration_scopes = ${s.scopes.join(',')}`,
    );
  }
  for (const p of content.profiles) {
    if (lines.length > 0) lines.push('');
    lines.push(`[profile ${p.name}]`);
    for (const [k, v] of p.keys) lines.push(`${k} = ${v}`);
  }
  return lines;
}

/**
 * renderBody's lines joined with `\n`, and how many there are. Made from fragments joined once: a block of
 * thousands of profiles makes one string, not one for every line and then one more for all of them.
 */
function joinedBody(content: BlockContent): { body: string; lines: number } {
  const parts: string[] = [];
  let lines = 0;
  const s = content.sessionSection;
  if (s) {
    parts.push('[sso-session ', s.name, ']\nsso_region = ', s.region, '\nsso_start_url = ', s.startUrl);
    parts.push('\nsso_registration_scopes = ', s.scopes.join(','));
    lines += 4;
  }
  for (const p of content.profiles) {
    parts.push(lines > 0 ? '\n\n[profile ' : '[profile ', p.name, ']');
    lines += lines > 0 ? 2 : 1;
    for (const [k, v] of p.keys) parts.push('\n', k, ' = ', v);
    lines += p.keys.length;
  }
  return { body: parts.join(''), lines };
}

/** A block as rendered: its body as its checksum sees it (lines joined with `\n`), and the whole block's text. */
export interface RenderedBlock {
  body: string;
  /** The block's lines, markers included, joined with the file's line ending; no ending after the END marker. */
  text: string;
}

/** The whole block, in a file whose lines end with `eol`; the BEGIN marker carries the body's checksum. */
export function renderBlock(content: BlockContent, eol: '\n' | '\r\n'): RenderedBlock {
  const { body, lines } = joinedBody(content);
  const begin = beginMarkerLine(content.session, checksumOf(body));
  const end = endMarkerLine(content.session);
  const inner = lines === 0 ? [] : [body];
  if (eol === '\n') return { body, text: [begin, ...inner, end].join('\n') };
  // Only the line ends become CRLF: a value with a line break of its own (none that sso-sync writes has one) keeps
  // it as it is, so such a block is joined line by line.
  let breaks = 0;
  for (let at = body.indexOf('\n'); at !== -1; at = body.indexOf('\n', at + 1)) breaks++;
  const crlf = breaks === lines - 1 ? inner.map((b) => b.replaceAll('\n', '\r\n')) : renderBody(content);
  return { body, text: [begin, ...crlf, end].join('\r\n') };
}
