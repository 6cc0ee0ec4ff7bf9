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
import ServiceAdd from './commands/service/add.js';
import ClientList from './commands/client/list.js';
import ClientConnect from './commands/client/connect.js';
import ClientDisconnect from './commands/client/disconnect.js';
import ClientImport from './commands/client/import.js';
import Completion from './commands/completion.js';
// issue 12: the Docker MCP gateway and `serve`
import GatewayRun from './commands/gateway/run.js';
import GatewayMapAdd from './commands/gateway/map/add.js';
import GatewayMapShow from './commands/gateway/map/show.js';
import GatewayMapImport from './commands/gateway/map/import.js';
import GatewayCatalogAdd from './commands/gateway/catalog/add.js';
import Serve from './commands/serve.js';
import InstallPlugin from './commands/install-plugin.js';
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
  'service:add': ServiceAdd,
  'client:list': ClientList,
  'client:connect': ClientConnect,
  'client:disconnect': ClientDisconnect,
  'client:import': ClientImport,
  completion: Completion,
  // issue 12
  'gateway:run': GatewayRun,
  'gateway:map:add': GatewayMapAdd,
  'gateway:map:show': GatewayMapShow,
  'gateway:map:import': GatewayMapImport,
  'gateway:catalog:add': GatewayCatalogAdd,
  serve: Serve,
  'install-plugin': InstallPlugin,
  'audit:tail': AuditTail,
  'audit:show': AuditShow,
};
