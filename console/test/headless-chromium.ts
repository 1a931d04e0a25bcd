import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium package: the browser tests drive a real one, never a downloaded build. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Launches the system's headless Chromium. A machine without it fails the tests (they are never skipped)
 * with the command that installs it.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `the console's browser tests need Chromium at ${CHROMIUM_PATH}: install it with ` +
        '`apt-get update && apt-get install -y --no-install-recommends chromium` (as root; .ci/run does this)',
    );
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
}
