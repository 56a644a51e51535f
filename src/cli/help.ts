/** What `sso-sync help [COMMAND]` and `sso-sync COMMAND --help` print: each command's usage, options and examples. */

/** The commands a person can ask help for, by the word they type (`once` for `--once`, `daemon` for none). */
export const helpTopics = [
  'daemon',
  'once',
  'init',
  'login',
  'status',
  'log',
  'service',
  'help',
  'version',
  'completion',
  'credentials',
] as const;
export type HelpTopic = (typeof helpTopics)[number];

const commonOptions = `  --settings FILE         the settings file (default: $SSO_SYNC_SETTINGS, else
                          $XDG_CONFIG_HOME/sso-sync/settings.yaml)
  --log-level LEVEL       trace, debug, info (default), warn, error, fatal or silent (also SSO_SYNC_LOG_LEVEL)`;

const topics: Record<HelpTopic, string> = {
  daemon: `sso-sync: run the daemon in the foreground (what the systemd unit and the launchd agent start)

Usage: sso-sync [--settings FILE] [--log-level LEVEL]

It syncs at start and on the schedule, keeps each token fresh before it expires, and syncs at once after a
sign-in. A session that needs sign-in is said once (login.required) and left out of the scheduled syncs until a
new token appears. SIGTERM or SIGINT stops it after the write in progress; SIGHUP reloads the settings.

Options:
${commonOptions}

Examples:
  sso-sync                          in the foreground, until Ctrl+C
  sso-sync service install          in the background, from now on
`,
  once: `sso-sync --once: sync now, then exit

Usage: sso-sync --once [--dry-run | --print] [--incremental] [--session NAME]... [--allow-mass-removal]

On a terminal, a sync that takes more than a second shows its progress on stderr (accounts listed, roles listed,
requests throttled or retried), erased when the fetching is done.

Options:
  --dry-run               print the diff the sync would make to the AWS config, then each profile it would
                          rename (renamed OLD -> NEW); write nothing
  --print                 print the managed blocks the sync would write (markers included); write nothing.
                          A session that fails is said on stderr and left out; the exit code is its failure's
  --incremental           list roles only for new accounts and those due, as a scheduled sync does
  --session NAME          sync only this sso-session (repeatable); other sessions' blocks are left alone
  --allow-mass-removal    apply a result that removes every profile of a block, or more than
                          sync.max_removal_share of them
${commonOptions}

Examples:
  sso-sync --once --dry-run
  sso-sync --once --print > ~/dotfiles/aws/sso-profiles.ini
  sso-sync --once --session mycorp
  AWS_CONFIG_FILE=~/work/aws-config sso-sync --once
`,
  init: `sso-sync init: the first run: set up an sso-session, sign in, sync, and offer the background service

Usage: sso-sync init [--start-url URL] [--region REGION] [--session NAME] [--no-service]
                     [--device-code] [--no-browser] [--timeout SECONDS]

It asks for the start URL (paste it from the browser's address bar: https://d-1234567890.awsapps.com/start/#/
is taken as https://d-1234567890.awsapps.com/start), the region of IAM Identity Center (checked against the
AWS regions; no default) and a name for the sso-session (the portal's own name by default). It adds the
[sso-session NAME] section to the AWS config as \`aws configure sso-session\` would, outside sso-sync's blocks,
then signs in, syncs once (showing the profiles it adds) and offers \`sso-sync service install\`.

An sso-session already in the config is offered instead of adding another; run again, init adds nothing and
signs in only when the token is missing or about to expire. Ctrl-C or Ctrl-D at a question changes nothing
(exit 130). Without a terminal it asks nothing: give the answers as options, or it stops at once (exit 2).

Options:
  --start-url URL         the AWS access portal's address
  --region REGION         the region of IAM Identity Center, e.g. eu-west-1
  --session NAME          the sso-session's name (A-Za-z0-9._-), or one already in the config to use
  --no-service            do not offer to install the background service
  --device-code           sign in with the device code flow (over SSH or without a display it is used anyway)
  --no-browser            do not open a browser; print the URL to open
  --timeout SECONDS       how long to wait for the sign-in (default 300)
${commonOptions}

Examples:
  sso-sync init
  sso-sync init --start-url https://mycorp.awsapps.com/start --region eu-west-1 --session mycorp --no-service
  sso-sync init --session mycorp          go on with an sso-session already set up
`,
  login: `sso-sync login: sign in (the AWS CLI shares the token), then sync that session

Usage: sso-sync login [--session NAME] [--device-code] [--no-browser] [--timeout SECONDS]

Options:
  --session NAME          the sso-session to sign in to (needed when several are configured)
  --device-code           the device code flow: open the printed URL on any device and approve
  --no-browser            do not open a browser; print the URL to open
  --timeout SECONDS       how long to wait for the sign-in (default 300)
${commonOptions}

Over SSH or without a display, login uses the device code flow by itself.

Examples:
  sso-sync login
  sso-sync login --session mycorp --device-code
`,
  status: `sso-sync status: how things stand; reads only, never contacts AWS

Usage: sso-sync status [--json] [--settings FILE]

Per sso-session: the token's expiry and whether it can be refreshed, the last sync and how it ended, the
profiles managed, the role lists kept; and whether the daemon runs and when it syncs next.

Options:
  --json                  one JSON object, for scripts
  --settings FILE         the settings file

Example:
  sso-sync status --json | jq '.sessions[].token'
`,
  log: `sso-sync log: the history of added, removed, changed and renamed profiles, held syncs, sign-ins

Usage: sso-sync log [--since WHEN] [--session NAME] [--json]

Options:
  --since WHEN            only what happened since 30m, 12h, 7d, 2w or a date (2026-11-21, 2026-11-21T08:00)
  --session NAME          only this sso-session
  --json                  one JSON object per line, for scripts

Examples:
  sso-sync log --since 7d
  sso-sync log --session mycorp --json
`,
  service: `sso-sync service: the systemd user unit (Linux) or launchd agent (macOS) that runs the daemon

Usage: sso-sync service install|uninstall|status [--dry-run]

Actions:
  install                 write the unit or agent with this installation's paths, then start it
  uninstall               stop it and remove the file
  status                  installed? up to date with this installation? running?

Options:
  --dry-run               print the file and the commands; write and run nothing

Examples:
  sso-sync service install --dry-run
  sso-sync service status
`,
  help: `sso-sync help: what each command does

Usage: sso-sync help [COMMAND]     (or sso-sync COMMAND --help)

Commands: ${helpTopics.join(', ')}
`,
  completion: `sso-sync completion: a script that completes commands, options and sso-session names

Usage: sso-sync completion bash|zsh|fish

Examples:
  source <(sso-sync completion bash)                                 in ~/.bashrc
  source <(sso-sync completion zsh)                                  in ~/.zshrc, after compinit
  sso-sync completion fish > ~/.config/fish/completions/sso-sync.fish

The session names come from \`sso-sync completion sessions\` each time: the config's and the settings' sessions.
`,
  credentials: `sso-sync credentials: role credentials for a profile, as credential_process JSON on stdout

Usage: sso-sync credentials --profile NAME [--log-level LEVEL]

What the credential_process line of a profile written with \`profiles.style: credential-process\` runs; the AWS
CLI and the SDKs run it for you. It reads the profile's sso-session, account and role from the AWS config
(AWS_CONFIG_FILE, else ~/.aws/config), asks IAM Identity Center for the role's credentials with the session's
token (refreshed first when due) and keeps them, 0600 in the state directory, for that sign-in, until 16
minutes before they expire. A failure is one line on stderr (the AWS CLI shows it) and a non-zero exit: 2 no
such profile, 3 sign-in required (\`sso-sync login --session NAME\`), 1 the role is no longer assigned or AWS
cannot be reached.

Options:
  --profile NAME          the profile, as in [profile NAME]
  --log-level LEVEL       on stderr: warn by default (the log file gets info lines either way)

Example:
  sso-sync credentials --profile prod-admin | jq .Expiration
`,
  version: `sso-sync version: the version of this installation

Usage: sso-sync version   (or sso-sync --version)
`,
};

/** The help of one command. */
export function commandHelp(topic: HelpTopic): string {
  return topics[topic];
}
