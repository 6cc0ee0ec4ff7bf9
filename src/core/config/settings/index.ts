export { loadSettings, validate, type LoadedSettings, type SettingSource } from './load.js';
export { AUTH_METHODS, type AuthMethod, type Settings } from './schema.js';
