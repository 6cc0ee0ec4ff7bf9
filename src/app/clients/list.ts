import { stat } from 'node:fs/promises';
import { CLIENT_IDS, CLIENTS, classifyEntry, plaintextSecretVars, type ClientPlace } from '../../core/clients/catalog.js';
import { parseConfigText } from '../../core/clients/config-text.js';
import type { AppContext } from '../../core/context.js';
import { clientPlace, readClientFile } from './config-file.js';
import { knownSecretVars } from './known-vars.js';

/** One config file of one client, as `client list` reports it. Never carries a value. */
export interface ClientConfigStatus {
  client: string;
  label: string;
  scope: 'user' | 'project';
  file: string;
  /** The client's directory (user scope) or the file exists. */
  installed: boolean;
  exists: boolean;
  /** Why the file could not be read or parsed (file:line:column …), when it could not. */
  error?: string;
  entries: Array<{
    name: string;
    /** Starts through us. */
    ours: boolean;
    /** The service it runs, when ours. */
    service?: string;
    /** Names of env variables that hold plaintext credentials (candidates for `client import`). */
    plaintextSecrets: string[];
  }>;
}

/**
 * Every supported client's config files (user scope, and project scope in the current directory when that file
 * exists): installed or not, and each MCP server entry's kind. Reads files only; never writes.
 */
export async function listClients(ctx: AppContext, options: { place?: ClientPlace } = {}): Promise<ClientConfigStatus[]> {
  const place = options.place ?? clientPlace(ctx);
  const rows: ClientConfigStatus[] = [];
  for (const id of CLIENT_IDS) {
    const client = CLIENTS[id];
    for (const scope of client.scopes) {
      const file = client.configFile(scope, place);
      const text = await readClientFile(file).catch((err: Error) => err);
      if (scope === 'project' && text === undefined) continue; // project files only where they exist
      const installed = text !== undefined || (await isDir(client.installDir(place)));
      const row: ClientConfigStatus = { client: id, label: client.label, scope, file, installed, exists: typeof text === 'string', entries: [] };
      if (text instanceof Error) row.error = text.message;
      else if (text !== undefined) {
        try {
          const config = await parseConfigText(text, client.format, client.serversKey, file);
          for (const [name, entry] of Object.entries(config.servers)) {
            if (!entry || typeof entry !== 'object') continue;
            const kind = classifyEntry(entry);
            row.entries.push({ name, ours: kind.ours, ...(kind.service ? { service: kind.service } : {}), plaintextSecrets: plaintextSecretVars(entry, knownSecretVars()) });
          }
        } catch (err) {
          row.error = (err as Error).message;
        }
      }
      rows.push(row);
    }
  }
  return rows;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
