/**
 * The one colour rule, applied before any colour library loads (chalk in Ink, ansis in oclif's help, yoctocolors in
 * spinners each read the environment once, at import):
 * `--no-color` (anywhere before `--`) turns colour off; else `FORCE_COLOR` decides as those libraries define it;
 * else a non-empty `NO_COLOR` (no-color.org) turns it off; else terminals get colour and pipes do not.
 * "Off" is expressed as FORCE_COLOR=0, the one switch all three honour (chalk ignores NO_COLOR). The MCP server's
 * environment is built from an allowlist without FORCE_COLOR, so this never reaches it.
 * @param argv our arguments (docker's removed); `env` the process environment, changed in place
 * @returns argv without `--no-color` (it is ours, not a command's flag)
 */
export function applyColorPreference(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const end = argv.indexOf('--');
  const ours = end === -1 ? argv.length : end;
  const flagged = argv.slice(0, ours).includes('--no-color');
  const rest = flagged ? [...argv.slice(0, ours).filter((a) => a !== '--no-color'), ...argv.slice(ours)] : [...argv];
  if (flagged) env.FORCE_COLOR = '0';
  else if (env.FORCE_COLOR === undefined && env.NO_COLOR) env.FORCE_COLOR = '0';
  return rest;
}
