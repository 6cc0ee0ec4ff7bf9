/**
 * The explicit oclif command table (ids use ':'; users type spaces). Static imports keep the single binary
 * self-contained; each command imports its heavy dependencies lazily inside run().
 */
import Run from './run.js';
import Doctor from './doctor.js';
import Setup from './setup.js';
import SecretUpload from './secret/upload.js';
import SecretRotate from './secret/rotate.js';
import SecretGet from './secret/get.js';
import SecretList from './secret/list.js';
import SecretVersions from './secret/versions.js';
import SecretDelete from './secret/delete.js';
import SecretRestore from './secret/restore.js';
import ServiceList from './service/list.js';
import ServiceShow from './service/show.js';
import CacheStatus from './cache/status.js';
import CacheClear from './cache/clear.js';
import DevVault from './dev/vault.js';

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
};
