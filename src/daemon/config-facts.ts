/**
 * What the daemon needs to know of the AWS config when it changes, found in a worker process: the file's sha256
 * (sso-sync's own writes are recognised by it), its damaged markers, and its blocks and which were edited by hand.
 * Hashing and scanning a config of megabytes takes the code that writes it and Node's crypto, which the daemon's own
 * process does without (see daemon-command.ts); only these facts cross to it.
 */
import { scanConfig } from '../core/config-text.js';
import { sha256Hex } from '../core/sha256.js';

/** The config as a worker found it. */
export type ConfigFacts =
  | { present: false }
  | {
      present: true;
      sha256: string;
      /** The lines of damaged sso-sync markers (1-based); none when the markers are sound. */
      damagedLines: number[];
      /** sso-sync's blocks, by session, each with whether its content differs from its marker's checksum. */
      blocks: { session: string; edited: boolean }[];
    };

/** The facts of a config's text; undefined: there is no file. */
export function configFacts(text: string | undefined): ConfigFacts {
  if (text === undefined) return { present: false };
  const scan = scanConfig(text);
  return {
    present: true,
    sha256: sha256Hex(text),
    damagedLines: scan.damage.map((d) => d.line),
    blocks: scan.blocks.map((b) => ({ session: b.session, edited: b.declaredChecksum !== b.actualChecksum })),
  };
}
