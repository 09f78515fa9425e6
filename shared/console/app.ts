import path from 'node:path';
import type { CityVisualClient } from '../cityvisual/client.js';
import type { Env } from '../config/env.js';
import { AutopilotError, toAutopilotError } from '../errors.js';
import type { Invocation } from '../fc/context.js';
import { type FcHttpResponse, type HttpRequest, httpErrorResponse, jsonResponse } from '../fc/http.js';
import { logger } from '../log.js';
import { clientFor, getRuntime, type Runtime } from '../runtime.js';
import { schedulesSection } from '../schedule/section.js';
import { readOnlyStore } from '../state/read-only.js';
import { stateStoreFor } from '../state/select.js';
import { bearerOf, matchToken, parseTokens, type Token } from '../webhook/auth.js';
import { createRouter, type HttpMethod, type Router, type RouteShape } from '../webhook/router.js';
import { ASSETS_DIR, type ConsoleAssets, readConsoleAssets, SECURITY_HEADERS } from './assets.js';
import { overviewAnswer, parsePlanQuery, planAnswer, refuseUnknownQuery } from './data.js';
import { listLiveJobGroups } from './live.js';

export interface ConsoleAppOptions {
  /** Env + config, parsed once per instance (default {@link getRuntime} with the schedules). */
  readonly runtime?: () => Runtime;
  /** The page's files (default: `assets/` beside the built bundle, read once). */
  readonly assets?: () => ConsoleAssets;
  /** Seam for the CityVisual client (default: pop-core with this invocation's credentials). */
  readonly client?: (invocation: Invocation, runtime: Runtime) => CityVisualClient;
  readonly now?: () => Date;
}

export type ConsoleApp = (request: HttpRequest, invocation: Invocation) => Promise<FcHttpResponse>;

interface RouteInput {
  readonly request: HttpRequest;
  readonly params: Readonly<Record<string, string>>;
  readonly invocation: Invocation;
  readonly runtime: () => Runtime;
}

interface ConsoleRoute extends RouteShape {
  /** `page`: the page and its files, no token (they hold no secret). `token`: a CONSOLE_TOKENS token. */
  readonly access: 'page' | 'health' | 'token';
  readonly handle: (input: RouteInput) => Promise<FcHttpResponse>;
}

/** The methods the console answers: it reads, and nothing else. */
export const CONSOLE_METHODS: readonly HttpMethod[] = ['GET', 'HEAD'];

type Authorizer = { tokens: Token[] } | { error: AutopilotError };

function authorizerFor(env: Env): Authorizer {
  try {
    const tokens = parseTokens(env.CONSOLE_TOKENS, 'CONSOLE_TOKENS');
    if (tokens.length === 0) {
      throw new AutopilotError('CONFIG_INVALID', {
        message:
          'CONSOLE_TOKENS is not set: the console serves no data without a read token; make one with `npx autopilot token console`.',
        field: 'CONSOLE_TOKENS',
      });
    }
    return { tokens };
  } catch (thrown) {
    return { error: toAutopilotError(thrown) };
  }
}

const withHeaders = (response: FcHttpResponse, headers: Record<string, string> = {}): FcHttpResponse => ({
  ...response,
  headers: { ...response.headers, ...SECURITY_HEADERS, ...headers },
});

/** The bundle's folder, stamped by the build; undefined when running from source. */
const bundleDir = () => (globalThis as { __AUTOPILOT_BUNDLE_DIR__?: string }).__AUTOPILOT_BUNDLE_DIR__;

/**
 * The console function: its page and files (served by the function itself), and read-only JSON routes
 * behind a `CONSOLE_TOKENS` bearer token — `GET /v1/plan` (the plan with the holds, as lanes) and
 * `GET /v1/overview` (every group's status at once). GET and HEAD only; every answer carries a strict
 * Content-Security-Policy and the other security headers; data answers are never cached. The store is
 * read through a read-only view, CityVisual only with DescribeJobGroups.
 *
 * @example
 * export const handler = createFcHandler({ decode: decodeHttpEvent, errors: 'http', run: createConsoleApp() });
 */
export function createConsoleApp(options: ConsoleAppOptions = {}): ConsoleApp {
  const loadRuntime = options.runtime ?? (() => getRuntime([schedulesSection]));
  let assets: ConsoleAssets | undefined;
  const loadAssets =
    options.assets ??
    (() => {
      assets ??= readConsoleAssets(path.join(bundleDir() ?? process.cwd(), ASSETS_DIR));
      return assets;
    });
  const buildClient = options.client ?? clientFor;
  const now = options.now ?? (() => new Date());
  const authorizers = new WeakMap<Env, Authorizer>();

  /** The env's authorizer, built (and an invalid CONSOLE_TOKENS logged) once per env. */
  function authorizerOf(env: Env): Authorizer {
    let authorizer = authorizers.get(env);
    if (!authorizer) {
      authorizer = authorizerFor(env);
      if ('error' in authorizer) {
        logger.error('console tokens are invalid: every data route answers 500 and /healthz 503', {
          code: authorizer.error.code,
          problem: authorizer.error.message,
        });
      }
      authorizers.set(env, authorizer);
    }
    return authorizer;
  }

  function authorize(env: Env, request: HttpRequest): string {
    const authorizer = authorizerOf(env);
    if ('error' in authorizer) throw authorizer.error;
    const presented = bearerOf(request.headers.authorization);
    if (presented === '') {
      throw new AutopilotError('UNAUTHORIZED', {
        message: 'Send a console token: Authorization: Bearer <one of CONSOLE_TOKENS>.',
      });
    }
    const matched = matchToken(authorizer.tokens, presented);
    if (!matched)
      throw new AutopilotError('UNAUTHORIZED', { message: 'The token is not one of CONSOLE_TOKENS.' });
    return matched.who;
  }

  const asset = (urlPath: string): FcHttpResponse => {
    const file = loadAssets().get(urlPath);
    if (!file) throw new AutopilotError('ROUTE_NOT_FOUND');
    return {
      statusCode: 200,
      headers: {
        'Content-Type': file.contentType,
        'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
      body: file.body.toString('base64'),
      isBase64Encoded: true,
    };
  };

  const routes: ConsoleRoute[] = [
    { method: 'GET', path: '/', access: 'page', handle: async () => asset('/') },
    { method: 'GET', path: '/favicon.svg', access: 'page', handle: async () => asset('/favicon.svg') },
    {
      method: 'GET',
      path: '/assets/:file',
      access: 'page',
      handle: async ({ params }) => asset(`/assets/${params.file}`),
    },
    {
      method: 'GET',
      path: '/healthz',
      access: 'health',
      handle: async ({ runtime }) => {
        const authorizer = authorizerOf(runtime().env);
        return 'error' in authorizer
          ? jsonResponse(503, { status: 'unavailable', error: authorizer.error.toPublic() })
          : jsonResponse(200, { status: 'ok' });
      },
    },
    {
      method: 'GET',
      path: '/v1/plan',
      access: 'token',
      handle: async ({ request, invocation, runtime }) => {
        const { env, config } = runtime();
        const at = now();
        const query = parsePlanQuery(request.query, at);
        const store = readOnlyStore(stateStoreFor(env, invocation));
        return jsonResponse(200, await planAnswer(config, store, query, at));
      },
    },
    {
      method: 'GET',
      path: '/v1/overview',
      access: 'token',
      handle: async ({ request, invocation, runtime }) => {
        const current = runtime();
        refuseUnknownQuery(request.query, []);
        const instanceId = current.env.CITYVISUAL_INSTANCE_ID;
        const answer = await overviewAnswer({
          config: current.config,
          store: readOnlyStore(stateStoreFor(current.env, invocation)),
          now: now(),
          deadline: invocation.deadline,
          ...(instanceId !== undefined && {
            listLive: () =>
              listLiveJobGroups(buildClient(invocation, current), instanceId, {
                deadline: invocation.deadline,
              }),
          }),
        });
        return jsonResponse(200, answer);
      },
    },
  ];
  let router: Router<ConsoleRoute> | undefined;

  return async (request, invocation) => {
    const started = Date.now();
    let who: string | undefined;
    let response: FcHttpResponse;
    router ??= createRouter(routes);
    try {
      const match = router.match(request.method, request.rawPath);
      if (match.kind === 'not-found') throw new AutopilotError('ROUTE_NOT_FOUND');
      // The router holds GET routes only (HEAD answers as GET): anything else is not allowed here.
      if (match.kind === 'method-not-allowed') {
        throw new AutopilotError('METHOD_NOT_ALLOWED', {
          message: 'The console only reads: GET or HEAD.',
          details: { allow: CONSOLE_METHODS.join(', ') },
        });
      }
      const { route, params } = match;
      if (route.access === 'token') {
        // The token before the query: an unauthenticated caller learns nothing about the routes' inputs.
        who = authorize(loadRuntime().env, request);
      }
      response = withHeaders(await route.handle({ request, params, invocation, runtime: loadRuntime }));
    } catch (thrown) {
      const error = toAutopilotError(thrown);
      const log = error.status >= 500 ? logger.error : logger.warn;
      log('console request failed', {
        path: request.path.slice(0, 200),
        method: request.method,
        ...(who !== undefined && { who }),
        error: error.toLog(),
      });
      response = withHeaders(httpErrorResponse(error));
    }
    if (who !== undefined && logger.enabled('debug')) {
      logger.debug('console read', {
        path: request.path,
        who,
        status: response.statusCode,
        ms: Date.now() - started,
      });
    }
    // HEAD: the same status and headers, no body.
    return request.method === 'HEAD' ? { ...response, body: '', isBase64Encoded: false } : response;
  };
}
