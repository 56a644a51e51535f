/**
 * The Node.js versions sso-sync runs on: the current LTS lines, 22 and 24 (and later). Older ones are end-of-life,
 * and the AWS SDK drops them; sso-sync says so in one line rather than run with the SDK's warnings on every start.
 */

/** The oldest Node.js major version sso-sync runs on (package.json `engines` says the same). */
export const minimumNodeMajor = 22;

/** The major version of a Node.js version string (`20.20.2`, `v24.1.0`). */
export function nodeMajor(version: string): number {
  return Number.parseInt(version.replace(/^v/, ''), 10);
}

/** Why this Node.js cannot run sso-sync, with what to do; undefined when it can. */
export function unsupportedNode(version: string, execPath: string): string | undefined {
  if (nodeMajor(version) >= minimumNodeMajor) return undefined;
  return (
    `sso-sync needs Node.js ${minimumNodeMajor} or newer, and this is Node.js ${version} (${execPath}). ` +
    `Install Node.js ${minimumNodeMajor} or 24 (https://nodejs.org/en/download, or your system's packages), ` +
    'then install sso-sync again with that Node.'
  );
}
