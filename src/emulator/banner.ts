/** What `npm run emulator` prints once it listens: everything a person needs to try sso-sync against it. */

/**
 * The sso-session the banner suggests. The emulator accepts any http or https start URL and any region (the endpoint
 * variables send every call to it whatever the region), so these are placeholders in the real service's shape, the
 * same as the demo's; a fixed start URL keeps the section valid when the emulator restarts on another port.
 */
export const SUGGESTED_SESSION = {
  name: 'emulator',
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: 'sso:account:access',
} as const;

/** The facts the banner states. */
export interface BannerFacts {
  url: string;
  accountCount: number;
  roleCount: number;
  /** The fixture file being watched, if the accounts come from one. */
  fixtureFile?: string | undefined;
  autoApproveDevice: boolean;
  accessToken: string;
  expiresAt: Date;
}

/** The banner, ending with the line that says how to stop (tests wait for `Ctrl+C`). */
export function bannerText(facts: BannerFacts): string {
  const { url } = facts;
  const session = SUGGESTED_SESSION;
  const source = facts.fixtureFile === undefined ? '' : `; from ${facts.fixtureFile}, reloaded whenever it is saved`;
  const approve = facts.autoApproveDevice
    ? ['Device codes are approved at once (--auto-approve): the login finishes by itself, no page to open.']
    : [
        `It prints a URL (${url}/device?user_code=…) and a code: open the URL in a browser, check the code`,
        'and press Approve (or Deny). Started with --auto-approve, the emulator skips this step.',
      ];
  return [
    `SSO emulator listening on ${url} (${facts.accountCount} accounts, ${facts.roleCount} role assignments${source})`,
    '',
    'To try sso-sync against it, put this section in an AWS config (any http or https start URL and any region',
    'work here; to keep ~/.aws/config out of it, use a file of its own and export AWS_CONFIG_FILE=that-file):',
    '',
    `  [sso-session ${session.name}]`,
    `  sso_start_url = ${session.startUrl}`,
    `  sso_region = ${session.region}`,
    `  sso_registration_scopes = ${session.scopes}`,
    '',
    'and send the AWS SDK here, in the shell where you run sso-sync:',
    '',
    `  export AWS_ENDPOINT_URL_SSO=${url}`,
    `  export AWS_ENDPOINT_URL_SSO_OIDC=${url}`,
    '',
    'Then sign in (a sync of the new session follows):',
    '',
    `  sso-sync login --session ${session.name} --device-code`,
    '',
    ...approve,
    '(`sso-sync login` without --device-code works too: the authorize page approves at once.)',
    '',
    `Access token (expires ${facts.expiresAt.toISOString()}), for a token cache file or a direct call:`,
    `  ${facts.accessToken}`,
    '',
    'Press Ctrl+C to stop.',
    '',
  ].join('\n');
}
