import { createConsoleApp } from '../../shared/console/app.js';
import { decodeHttpEvent } from '../../shared/fc/http.js';
import { createFcHandler } from '../../shared/handler.js';

/**
 * HTTP trigger (FC 3.0, payload v1), GET and HEAD only: the console page and its files, and the
 * read-only JSON routes it draws from (`/v1/plan`, `/v1/overview`) behind a CONSOLE_TOKENS token.
 */
export const handler = createFcHandler({ decode: decodeHttpEvent, errors: 'http', run: createConsoleApp() });
