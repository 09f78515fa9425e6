/**
 * Serves the console function on a local port as FC would (real HTTP → FC v1 event Buffers, the same
 * local guards as the webhook port), with its page built in memory from source. Used by `npm start`
 * and the browser tests.
 */
import { createConsoleApp } from '../../shared/console/app.js';
import type { ConsoleAssets } from '../../shared/console/assets.js';
import { decodeHttpEvent } from '../../shared/fc/http.js';
import { createFcHandler } from '../../shared/handler.js';
import { buildConsolePage, toConsoleAssets } from '../console/page-build.js';
import { type FcEventHandler, startWebhookServer, type WebhookServer } from './webhook-server.js';

export interface ConsoleServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
  /** Variables for the function (CONSOLE_TOKENS, CITYVISUAL_*, …), set on process.env before start. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The page's files; default built from functions/console/page now. */
  readonly assets?: ConsoleAssets;
  /** The handler to serve (default the console app with these assets), e.g. a built bundle's. */
  readonly handler?: FcEventHandler;
}

/** Starts the local console server. */
export async function startConsoleServer(options: ConsoleServerOptions = {}): Promise<WebhookServer> {
  let handler = options.handler;
  if (!handler) {
    const assets = options.assets ?? toConsoleAssets(await buildConsolePage());
    handler = createFcHandler({
      decode: decodeHttpEvent,
      errors: 'http',
      run: createConsoleApp({ assets: () => assets }),
    }) as FcEventHandler;
  }
  return startWebhookServer({
    port: options.port ?? 0,
    handler,
    functionName: 'console',
    timeoutSeconds: 30,
    ...(options.env && { env: options.env }),
  });
}
