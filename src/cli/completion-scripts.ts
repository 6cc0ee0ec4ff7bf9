/**
 * Shell scripts that complete `docker-vaultmcp` called directly, by asking the binary itself
 * (`docker-vaultmcp __complete WORDS… CURRENT`, the same engine and cobra wire format docker uses for
 * `docker vaultmcp …`): candidate lines `value<TAB>description`, then `:<directive>`; directive bit 4 means "no file
 * completion". `docker vaultmcp` itself needs none of this: docker's own completion asks the plugin.
 */

const BASH = `# bash completion for docker-vaultmcp (source it, or save it as
# ~/.local/share/bash-completion/completions/docker-vaultmcp)
_docker_vaultmcp() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" lines=() last directive line
  mapfile -t lines < <("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null)
  [ \${#lines[@]} -eq 0 ] && return
  last="\${lines[\${#lines[@]}-1]}"
  directive="\${last#:}"
  unset 'lines[\${#lines[@]}-1]'
  COMPREPLY=()
  for line in "\${lines[@]}"; do COMPREPLY+=("\${line%%$'\\t'*}"); done
  if [ \${#COMPREPLY[@]} -eq 0 ] && [ $(( directive & 4 )) -eq 0 ]; then
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -F _docker_vaultmcp docker-vaultmcp
`;

const ZSH = `#compdef docker-vaultmcp
# zsh completion for docker-vaultmcp (save as _docker-vaultmcp in a directory of $fpath, or source it after compinit)
_docker_vaultmcp() {
  local -a lines candidates
  local directive line
  lines=("\${(@f)$(\${words[1]} __complete "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null)}")
  (( \${#lines} )) || return 1
  directive=\${lines[-1]#:}
  for line in "\${(@)lines[1,-2]}"; do
    candidates+=("\${\${line%%$'\\t'*}//:/\\\\:}\${\${(M)line#*$'\\t'}:+:\${line#*$'\\t'}}")
  done
  if (( \${#candidates} )); then
    _describe 'docker-vaultmcp' candidates
  elif (( (directive & 4) == 0 )); then
    _files
  fi
}
compdef _docker_vaultmcp docker-vaultmcp
`;

const FISH = `# fish completion for docker-vaultmcp (save as ~/.config/fish/completions/docker-vaultmcp.fish)
function __docker_vaultmcp_complete
    set -l words (commandline -opc)
    set -l program $words[1]
    set -e words[1]
    set -l out ($program __complete $words (commandline -ct) 2>/dev/null)
    test (count $out) -gt 0; or return
    set -l directive (string replace ':' '' -- $out[-1])
    set -e out[-1]
    if test (count $out) -eq 0; and test (math "$directive % 8 - $directive % 4") -eq 0
        __fish_complete_path (commandline -ct)
        return
    end
    printf '%s\\n' $out
end
complete -c docker-vaultmcp -f -a '(__docker_vaultmcp_complete)'
`;

/** The completion script for `shell`. */
export const COMPLETION_SCRIPTS = { bash: BASH, zsh: ZSH, fish: FISH } as const;
export type CompletionShell = keyof typeof COMPLETION_SCRIPTS;
