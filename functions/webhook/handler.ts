import { decodeHttpEvent } from '../../shared/fc/http.js';
import { createFcHandler } from '../../shared/handler.js';
import { createWebhookApp } from '../../shared/webhook/index.js';

/**
 * HTTP trigger (FC 3.0, payload v1): the shared stack decodes the event Buffer (413 over 1 MiB) and turns
 * every error into a JSON response; the webhook app routes, authenticates and applies the change.
 */
export const handler = createFcHandler({ decode: decodeHttpEvent, errors: 'http', run: createWebhookApp() });
