/**
 * Shell completion: `sso-sync completion bash|zsh|fish` prints a script that completes commands, options, option
 * values (log levels, regions, service actions, help topics, shells) and sso-session names. The names come from
 * `sso-sync completion sessions`, which reads the same sessions a sync would (the config's and the settings'), so
 * a script never has its own idea of the config's format.
 */
import { commands, completionShells, logLevels as levels, optionsOfCommand, type CompletionShell } from './args.js';
import { helpTopics } from './help.js';
import { regionNames } from '../settings/regions.js';

const serviceActions = ['install', 'uninstall', 'status'];

/** The options offered after each command (`''`: sso-sync with no command, the daemon or `--once`). */
const optionsOf: Record<string, string[]> = {
  '': ['--help', '--version', ...new Set([...optionsOfCommand.once, ...optionsOfCommand.daemon])].map((o) =>
    o.startsWith('--') ? o : `--${o}`,
  ),
  ...Object.fromEntries(
    (['init', 'login', 'status', 'log', 'service', 'credentials'] as const).map((c) => [
      c,
      [...optionsOfCommand[c], 'help'].map((o) => `--${o}`),
    ]),
  ),
  help: [],
  version: [],
  completion: [],
};

const words = (list: readonly string[]) => list.join(' ');

function bash(): string {
  const cases = Object.entries(optionsOf)
    .map(([command, options]) => `    ${command === '' ? "''" : command}) opts="${words(options)}" ;;`)
    .join('\n');
  return `# sso-sync completion for bash: add to ~/.bashrc
#   source <(sso-sync completion bash)
_sso_sync() {
  local cur prev command word i settings
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  command=''
  settings=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    [[ "\${COMP_WORDS[i-1]}" == --settings ]] && settings=(--settings "\${COMP_WORDS[i]}")
  done
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "\${COMP_WORDS[i-1]}" in
      --session|--settings|--log-level|--timeout|--since|--start-url|--region|--profile) continue ;;
    esac
    case "$word" in -*) continue ;; esac
    command="$word"
    break
  done
  case "$prev" in
    --log-level) COMPREPLY=($(compgen -W "${words(levels)}" -- "$cur")); return ;;
    --region) COMPREPLY=($(compgen -W "${words(regionNames)}" -- "$cur")); return ;;
    --session)
      COMPREPLY=($(compgen -W "$(sso-sync completion sessions "\${settings[@]}" 2>/dev/null)" -- "$cur"))
      return ;;
    --settings) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --timeout|--since|--start-url|--profile) COMPREPLY=(); return ;;
  esac
  case "$command" in
    service) if [[ "$cur" != -* ]]; then COMPREPLY=($(compgen -W "${words(serviceActions)}" -- "$cur")); return; fi ;;
    help) COMPREPLY=($(compgen -W "${words(helpTopics)}" -- "$cur")); return ;;
    completion) COMPREPLY=($(compgen -W "${words(completionShells)}" -- "$cur")); return ;;
  esac
  local opts
  case "$command" in
${cases}
  esac
  if [[ -z "$command" && "$cur" != -* ]]; then
    COMPREPLY=($(compgen -W "${words(commands)}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  fi
}
complete -F _sso_sync sso-sync
`;
}

function zsh(): string {
  // zsh runs the bash function through its own bashcompinit: one set of rules for both shells.
  return `#compdef sso-sync
# sso-sync completion for zsh: add to ~/.zshrc (after compinit)
#   source <(sso-sync completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash().split('\n').slice(2).join('\n')}`;
}

function fish(): string {
  const lines = [
    '# sso-sync completion for fish: save as ~/.config/fish/completions/sso-sync.fish',
    '#   sso-sync completion fish > ~/.config/fish/completions/sso-sync.fish',
    'complete -c sso-sync -f',
    '# The session names, read with the settings file given on the line, if any.',
    'function __sso_sync_sessions',
    '  set -l tokens (commandline -opc)',
    '  set -l at (contains -i -- --settings $tokens)',
    '  if test -n "$at"; and test (count $tokens) -gt $at',
    '    sso-sync completion sessions --settings $tokens[(math $at + 1)] 2>/dev/null',
    '  else',
    '    sso-sync completion sessions 2>/dev/null',
    '  end',
    'end',
    `complete -c sso-sync -n '__fish_use_subcommand' -a '${words(commands)}'`,
    `complete -c sso-sync -n '__fish_seen_subcommand_from service' -a '${words(serviceActions)}'`,
    `complete -c sso-sync -n '__fish_seen_subcommand_from help' -a '${words(helpTopics)}'`,
    `complete -c sso-sync -n '__fish_seen_subcommand_from completion' -a '${words(completionShells)}'`,
  ];
  const takesValue: Record<string, string> = {
    '--log-level': ` -x -a '${words(levels)}'`,
    '--session': " -x -a '(__sso_sync_sessions)'",
    '--settings': ' -r -F',
    '--timeout': ' -x',
    '--since': ' -x',
    '--start-url': ' -x',
    '--region': ` -x -a '${words(regionNames)}'`,
    '--profile': ' -x',
  };
  for (const [command, options] of Object.entries(optionsOf)) {
    const when =
      command === '' ? `not __fish_seen_subcommand_from ${words(commands)}` : `__fish_seen_subcommand_from ${command}`;
    for (const option of options)
      lines.push(`complete -c sso-sync -n '${when}' -l ${option.slice(2)}${takesValue[option] ?? ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The completion script for a shell. */
export function completionScript(shell: CompletionShell): string {
  switch (shell) {
    case 'bash':
      return bash();
    case 'zsh':
      return zsh();
    case 'fish':
      return fish();
  }
}
