#!/usr/bin/env node
// `npx autopilot …`: runs the TypeScript CLI (local/cli.ts) in this process through tsx's loader,
// resolved from this project, and exits with the CLI's code.
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('../local/cli.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
