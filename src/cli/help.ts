/** What `sso-sync help [COMMAND]` and `sso-sync COMMAND --help` print: each command's usage, options and examples. */

/** The commands a person can ask help for, by the word they type (`once` for `--once`, `daemon` for none). */
export const helpTopics = [
  'daemon',
  'once',
  'login',
  'status',
  'log',
  'service',
  'help',
  'version',
  'completion',
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

Usage: sso-sync --once [--dry-run] [--incremental] [--session NAME]... [--allow-mass-removal]

On a terminal, a sync that takes more than a second shows its progress on stderr (accounts listed, roles listed,
requests throttled or retried), erased when the fetching is done.

Options:
  --dry-run               print the diff the sync would make to the AWS config; write nothing
  --incremental           list roles only for new accounts and those due, as a scheduled sync does
  --session NAME          sync only this sso-session (repeatable); other sessions' blocks are left alone
  --allow-mass-removal    apply a result that removes every profile of a block, or more than
                          sync.max_removal_share of them
${commonOptions}

Examples:
  sso-sync --once --dry-run
  sso-sync --once --session mycorp
  AWS_CONFIG_FILE=~/work/aws-config sso-sync --once
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
  log: `sso-sync log: the history of added, removed and changed profiles, held syncs, sign-ins

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
  version: `sso-sync version: the version of this installation

Usage: sso-sync version   (or sso-sync --version)
`,
};

/** The help of one command. */
export function commandHelp(topic: HelpTopic): string {
  return topics[topic];
}
