export { createClient } from './client.js';
export type { ClientOptions, TcplabClient } from './client.js';
export { ApiError, isApiError } from './errors.js';
