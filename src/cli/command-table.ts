/**
 * The explicit oclif command table (ids use ':'; users type spaces). Static imports keep the single binary
 * self-contained; each command imports its heavy dependencies lazily inside run().
 */
import Run from './commands/run.js';
import Doctor from './commands/doctor.js';
import Setup from './commands/setup.js';
import SecretUpload from './commands/secret/upload.js';
import SecretRotate from './commands/secret/rotate.js';
import SecretGet from './commands/secret/get.js';
import SecretList from './commands/secret/list.js';
import SecretVersions from './commands/secret/versions.js';
import SecretDelete from './commands/secret/delete.js';
import SecretRestore from './commands/secret/restore.js';
import ServiceList from './commands/service/list.js';
import ServiceShow from './commands/service/show.js';
import CacheStatus from './commands/cache/status.js';
import CacheClear from './commands/cache/clear.js';
import DevVault from './commands/dev/vault.js';
import AuditTail from './commands/audit/tail.js';
import AuditShow from './commands/audit/show.js';

export const COMMANDS = {
  run: Run,
  doctor: Doctor,
  setup: Setup,
  'secret:upload': SecretUpload,
  'secret:rotate': SecretRotate,
  'secret:get': SecretGet,
  'secret:list': SecretList,
  'secret:versions': SecretVersions,
  'secret:delete': SecretDelete,
  'secret:restore': SecretRestore,
  'service:list': ServiceList,
  'service:show': ServiceShow,
  'cache:status': CacheStatus,
  'cache:clear': CacheClear,
  'dev:vault': DevVault,
  'audit:tail': AuditTail,
  'audit:show': AuditShow,
};
