import { BaseCommand } from '../base.js';
import { VaultMcpError } from '../../core/errors.js';

// PLACEHOLDER: replaced by the owner of this command.
export default class SecretVersions extends BaseCommand {
  static summary = 'not implemented yet';
  async run(): Promise<void> {
    await this.parse(SecretVersions);
    throw new VaultMcpError('not implemented yet', { exitCode: 1 });
  }
}
