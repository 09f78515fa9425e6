import type { ErrorResponse, OverviewResponse, PlanResponse } from '../../../shared/console/wire.js';

const TOKEN_KEY = 'autopilot-console-token';

export interface Range {
  readonly from: string;
  readonly to: string;
}

/** A refusal or failure of the console's routes, with the stable code the server answered. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The read token: typed in once and kept for this tab only (sessionStorage). `npm start` hands the
 * local one over in the URL fragment (never sent to a server, unlike a query string), which is read
 * and removed from the address bar at once. The fragment may also name a range (`#from=…&to=…`), which
 * stays, so a link shows the same days.
 */
export function readFragment(): { range?: Range } {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get('token');
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    params.delete('token');
    writeFragment(params);
  }
  // URLSearchParams reads a bare "+" (of +08:00) as a space.
  const from = params.get('from')?.replaceAll(' ', '+');
  const to = params.get('to')?.replaceAll(' ', '+');
  return from && to ? { range: { from, to } } : {};
}

function writeFragment(params: URLSearchParams): void {
  const rest = params.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}

/** Puts the range shown into the address bar (or takes it out, for the week around now). */
export function rememberRange(range: Range | undefined): void {
  writeFragment(new URLSearchParams(range ? { from: range.from, to: range.to } : {}));
}

export const readToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const saveToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

async function getJson<T>(path: string, token: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The console function could not be reached.');
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(
      response.status,
      'UNREADABLE',
      `The console answered ${response.status} without JSON.`,
    );
  }
  if (!response.ok) {
    const error = (body as Partial<ErrorResponse>).error;
    throw new ApiError(
      response.status,
      error?.code ?? 'ERROR',
      error?.message ?? `The console answered ${response.status}.`,
    );
  }
  return body as T;
}

/** The plan over `range` (the server's default week around now when absent). */
export function fetchPlan(token: string, range?: Range): Promise<PlanResponse> {
  // The lanes view: tracks shared by the groups that do the same, without the per-group entries.
  const query = range ? `&from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}` : '';
  return getJson<PlanResponse>(`v1/plan?view=lanes${query}`, token);
}

export function fetchOverview(token: string): Promise<OverviewResponse> {
  return getJson<OverviewResponse>('v1/overview', token);
}
