/** Where block text is made: profiles -> the lines of one session's managed block. */
import { beginMarkerLine, bodyChecksum, endMarkerLine } from './config-text.js';
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
  const sections: string[][] = [];
  const s = content.sessionSection;
  if (s) {
    sections.push([
      `[sso-session ${s.name}]`,
      `sso_region = ${s.region}`,
      `sso_start_url = ${s.startUrl}`,
      `sso_registration_scopes = ${s.scopes.join(',')}`,
    ]);
  }
  for (const p of content.profiles) sections.push([`[profile ${p.name}]`, ...p.keys.map(([k, v]) => `${k} = ${v}`)]);
  return sections.flatMap((lines, i) => (i === 0 ? lines : ['', ...lines]));
}

/** The whole block, markers included; the BEGIN marker carries the body's checksum. */
export function renderBlock(content: BlockContent): string[] {
  const body = renderBody(content);
  return [beginMarkerLine(content.session, bodyChecksum(body)), ...body, endMarkerLine(content.session)];
}
