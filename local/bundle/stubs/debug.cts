/**
 * `debug` for the bundles: every logger is off and prints nothing. httpx (pop-core's transport) logs
 * request headers and bodies through `debug` when `DEBUG=httpx:*` is set — signed URLs included — and
 * the functions log through `shared/log.ts` only, so nothing is lost and a secret cannot leak this way.
 */
interface Debugger {
  (...args: unknown[]): void;
  readonly enabled: boolean;
  readonly namespace: string;
  extend(namespace: string): Debugger;
}

function createDebug(namespace: string): Debugger {
  const debug = () => {};
  return Object.assign(debug, {
    enabled: false,
    namespace,
    extend: (child: string) => createDebug(`${namespace}:${child}`),
  });
}

const api = Object.assign(createDebug, {
  enable: (_namespaces: string) => {},
  disable: () => '',
  enabled: (_namespace: string) => false,
});

export = api;
