export { listServices, loadService, looksLikePath, parseServiceText, serviceDirs, type ServiceSummary } from './load.js';
export type { SecretDeclaration, ServiceDefinition, ServiceFile } from './schema.js';
export { DEFAULT_ENVIRONMENT, knownEnvironments, selectEnvironment, type SecretSpec, type ServiceSelection } from './select.js';
