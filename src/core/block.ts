/** Where block text is made: profiles -> the lines of one session's managed block. */
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

/** A block as rendered: its lines, markers included, and its body as its checksum sees it (see blockBody). */
export interface RenderedBlock {
  lines: string[];
  body: string;
}

/** The whole block, markers included; the BEGIN marker carries the body's checksum. */
export function renderBlock(content: BlockContent): RenderedBlock {
  const lines = renderBody(content);
  const body = lines.join('\n');
  lines.unshift(beginMarkerLine(content.session, checksumOf(body)));
  lines.push(endMarkerLine(content.session));
  return { lines, body };
}
