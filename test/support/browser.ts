import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * The browser tests drive Debian's Chromium (the `chromium` package) with playwright-core: no
 * browser build is downloaded. `.ci/run` installs the package; elsewhere the tests report themselves
 * skipped with the command that installs it, never passed.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_INSTALL = 'apt-get update && apt-get install -y chromium';
export const hasChromium = existsSync(CHROMIUM);

/** The reason a browser suite was skipped, printed once by each suite that skips. */
export function announceSkip(suite: string): void {
  if (!hasChromium) {
    console.warn(`${suite}: skipped, no Chromium at ${CHROMIUM}; install it with: ${CHROMIUM_INSTALL}`);
  }
}

/** A headless Chromium; the caller closes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root (CI, this machine) Chromium needs its sandbox off; the pages are our own, on loopback.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
