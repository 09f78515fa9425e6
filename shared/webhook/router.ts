import type { Invocation } from '../fc/context.js';
import type { HttpRequest } from '../fc/http.js';
import type { ApplyDeps } from '../jobgroup/apply.js';
import type { Runtime } from '../runtime.js';
import type { AuditFacts } from './audit.js';
import type { Caller } from './auth.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a route handler gets: the request, its path parameters, the parsed body and this invocation's deps. */
export interface RouteContext {
  readonly request: HttpRequest;
  /** Path parameters, URL-decoded per segment (unvalidated: each route validates its own). */
  readonly params: Readonly<Record<string, string>>;
  /** The parsed JSON body (`{}` when empty) for `body: 'json'` routes; undefined otherwise. */
  readonly body: unknown;
  /** `?dryRun=true`: validate and plan, send nothing. */
  readonly dryRun: boolean;
  readonly invocation: Invocation;
  /** Env and config of this instance (rules, registry). */
  readonly runtime: Runtime;
  /** The authenticated caller (absent on public routes). */
  readonly caller?: Caller;
  /** applyIntent's dependencies for this invocation; the CityVisual client is only built when first used. */
  readonly deps: () => ApplyDeps;
  /** Facts for this request's audit line; a route adds the groups it touches and what happened. */
  readonly audit: AuditFacts;
}

export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * One entry of the webhook's route table. Authenticated routes are checked (signature or bearer) before
 * the body is read, and each of their requests writes one audit line.
 *
 * @example
 * const route: WebhookRoute = {
 *   method: 'POST', path: '/v1/hooks/alertmanager', action: 'alertmanager',
 *   access: 'authenticated', body: 'json',
 *   handle: async (ctx) => ({ status: 207, body: { results: await applyChanges(changesFrom(ctx.body), ctx) } }),
 * };
 */
export interface WebhookRoute {
  readonly method: HttpMethod;
  /** `/v1/job-groups/:jobGroupId/scale`: literal segments, `:name` matches one non-empty segment. */
  readonly path: string;
  /** What the route does, for the audit line (`scale`, `batch`, …). */
  readonly action: string;
  /** `public`: no auth, no audit, no query check (health). `authenticated`: signed or bearer, audited. */
  readonly access: 'public' | 'authenticated';
  /**
   * Also accept `Authorization: Basic` whose password is a configured token (the alert hooks: the
   * tools offer basic auth); the user name names the caller. Everywhere else Basic is refused.
   */
  readonly basicAuth?: boolean;
  /** `json`: a non-empty body must be JSON (else 415) and is parsed before `handle`. */
  readonly body: 'none' | 'json';
  /** Query parameters this route reads besides `dryRun` (others are a 400). */
  readonly query?: readonly string[];
  readonly handle: (ctx: RouteContext) => Promise<RouteResult>;
}

/** What the router reads of a route: its method and path pattern (the webhook's and the console's routes). */
export interface RouteShape {
  readonly method: HttpMethod;
  readonly path: string;
}

export type RouteMatch<R extends RouteShape = WebhookRoute> =
  | { readonly kind: 'found'; readonly route: R; readonly params: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly HttpMethod[] }
  | { readonly kind: 'not-found' };

export interface Router<R extends RouteShape = WebhookRoute> {
  readonly routes: readonly R[];
  /** Matches a method and an encoded path (`rawPath`); segments are decoded one by one. */
  match(method: string, rawPath: string): RouteMatch<R>;
}

type Segment = { readonly literal: string } | { readonly param: string };
interface CompiledRoute<R extends RouteShape> {
  readonly route: R;
  readonly segments: readonly Segment[];
}

function splitPath(path: string): string[] {
  const parts = path.split('/');
  if (parts[0] === '') parts.shift();
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    // Malformed escapes stay as sent: a literal will not match, an id will fail validation (400).
    return segment;
  }
}

function compile<R extends RouteShape>(route: R): CompiledRoute<R> {
  if (!route.path.startsWith('/')) throw new Error(`route path must start with "/": ${route.path}`);
  const segments = splitPath(route.path).map(
    (part): Segment => (part.startsWith(':') ? { param: part.slice(1) } : { literal: part }),
  );
  return { route, segments };
}

const shapeOf = (segments: readonly Segment[]) =>
  segments.map((s) => ('literal' in s ? s.literal : ':')).join('/');

/**
 * Compiles a route table once. A path whose shape matches but whose method does not is a 405 with the
 * allowed methods (HEAD wherever GET); no shape matching is a 404. Two routes with the same method and shape are a
 * programming error, reported when the table is compiled.
 */
export function createRouter<R extends RouteShape = WebhookRoute>(routes: readonly R[]): Router<R> {
  const compiled = routes.map((route) => compile(route));
  const seen = new Set<string>();
  for (const { route, segments } of compiled) {
    const key = `${route.method} ${shapeOf(segments)}`;
    if (seen.has(key)) throw new Error(`duplicate webhook route: ${route.method} ${route.path}`);
    seen.add(key);
  }
  return {
    routes,
    match(method, rawPath) {
      const parts = splitPath(rawPath).map(decodeSegment);
      const allow: HttpMethod[] = [];
      let found: { route: R; params: Record<string, string> } | undefined;
      for (const { route, segments } of compiled) {
        if (segments.length !== parts.length) continue;
        const params: Record<string, string> = {};
        let ok = true;
        for (let i = 0; i < segments.length && ok; i++) {
          const segment = segments[i]!;
          const part = parts[i]!;
          if ('literal' in segment) ok = segment.literal === part;
          else if (part === '') ok = false;
          else params[segment.param] = part;
        }
        if (!ok) continue;
        // HEAD is served wherever GET is (RFC 9110 §9.3.2): same route, the app drops the body.
        if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
          found ??= { route, params };
        } else {
          for (const allowed of route.method === 'GET' ? (['GET', 'HEAD'] as const) : [route.method]) {
            if (!allow.includes(allowed)) allow.push(allowed);
          }
        }
      }
      if (found) return { kind: 'found', ...found };
      return allow.length > 0 ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
    },
  };
}
