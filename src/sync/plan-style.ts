/** The style a sync writes profiles in, from the settings and the command that serves credential-process profiles. */
import { fileURLToPath } from 'node:url';
import { credentialCommandProblem, type ProfileStyle, type ProfileStyleName } from '../core/profile-style.js';
import { SsoSyncError } from '../errors.js';

/**
 * The plan's style. A credential-process profile runs `command` (the Node.js binary and sso-sync's script, both
 * absolute: the AWS CLI may run it with a PATH that finds no Node.js, or another one); a command that cannot be
 * written as a `credential_process` value is a usage error, before anything is fetched.
 */
export function planStyle(style: ProfileStyleName, command: readonly string[]): ProfileStyle {
  if (style !== 'credential-process') return { kind: style };
  const problem = credentialCommandProblem(command);
  if (problem !== undefined) {
    throw new SsoSyncError(
      'usage',
      `profiles.style is credential-process, but the command that serves the credentials cannot be written into ` +
        `the AWS config: ${problem}. Install sso-sync where its path has no control characters, or choose ` +
        'another profiles.style.',
    );
  }
  return { kind: 'credential-process', command };
}

/**
 * The command of this installation: the Node.js binary running now and sso-sync's script by its real path (Node
 * resolves the links npm puts on PATH), as the service unit pins them. Both stay valid across `npm update -g`.
 */
export function ownCommand(): string[] {
  return [process.execPath, fileURLToPath(new URL('../cli/main.js', import.meta.url))];
}
