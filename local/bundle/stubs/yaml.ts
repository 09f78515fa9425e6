/**
 * `yaml` for the bundles: JSON only (112 KB of YAML parser is most of a bundle's budget). `npm run
 * build` validates the YAML config and writes it as `autopilot.json` beside each bundle, so a deployed
 * function reads JSON — which every YAML parser reads the same way. A YAML-only document fails the
 * cold start with CONFIG_INVALID and says so.
 */

/** The error a non-JSON config raises; `hint` is shown in the CONFIG_INVALID message. */
export class YAMLParseError extends SyntaxError {
  override readonly name = 'YAMLParseError';
  readonly hint =
    'Deployed bundles read JSON: `npm run build` converts the YAML config to autopilot.json beside each bundle; point AUTOPILOT_CONFIG at that.';
}

/** Parses a JSON document (the subset of YAML the bundles accept). */
export function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new YAMLParseError((error as Error).message);
  }
}
