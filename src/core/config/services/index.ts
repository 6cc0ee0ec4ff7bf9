export { listServices, loadService, parseServiceText, type ServiceSummary } from './load.js';
export { looksLikePath, serviceDirs } from '../paths.js';
export type { SecretDeclaration, ServiceDefinition, ServiceFile } from './schema.js';
export { DEFAULT_ENVIRONMENT, knownEnvironments, selectEnvironment, type SecretSpec, type ServiceSelection } from './select.js';
