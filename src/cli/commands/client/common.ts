import { Flags } from '@oclif/core';
import type { ClientChange } from '../../../app/clients/connect.js';
import type { Output } from '../../output.js';

/** Flags every client-editing command has. */
export const clientFileFlags = {
  scope: Flags.string({ description: "which of the client's files: user (default) or project (in the current directory)", options: ['user', 'project'], helpValue: 'SCOPE' }),
  'config-file': Flags.string({ description: "edit this file instead of the client's default one", helpValue: 'FILE' }),
  'dry-run': Flags.boolean({ description: 'show the change without writing anything', default: false }),
};

/** Client ids for help texts. */
export const CLIENT_LIST = 'claude-desktop, claude-code, cursor, vscode, windsurf, codex, gemini-cli';

/**
 * Renders a connect/disconnect result: the diff on stdout (or the JSON), what happened on stderr.
 */
export function renderChange(out: Output, change: ClientChange, json: boolean, verb: 'connect' | 'disconnect'): void {
  if (json) {
    out.json(change);
  } else if (change.diff) {
    out.result(change.diff);
  }
  for (const note of change.notes) out.info(note);
  if (!change.changed) {
    if (change.notes.length === 0) out.info(`${change.file} already ${verb === 'connect' ? `has entry '${change.name}' as wanted` : `has no entry '${change.name}'`}; nothing changed`);
    return;
  }
  if (change.dryRun) {
    out.info(`dry run: ${change.file} was not changed`);
    return;
  }
  if (change.backup) out.info(`backup of the previous file: ${change.backup}`);
  out.info(
    verb === 'connect'
      ? `${change.created ? 'created' : 'updated'} ${change.file}: entry '${change.name}' starts through docker vaultmcp; restart the client (or reload its MCP servers) to use it`
      : `removed entry '${change.name}' from ${change.file}`,
  );
}
