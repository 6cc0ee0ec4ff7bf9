export { createOciAuth, parseOciConfigProfile, type OciAuth, type PassphraseLookup } from './auth.js';
export { classifyOciError } from './classify.js';
export { createOciClients, type OciClients } from './clients.js';
export { silenceSdkConsole } from './sdk.js';
export { installFetchHooks, parseRetryAfter, retryAfterFor, withCallSignal } from './transport.js';
