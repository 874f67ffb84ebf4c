/**
 * Headless Chromium (Debian's /usr/bin/chromium) driven by npm playwright-core, for the console's
 * browser test and `deno task bench console`: one persistent context in a throw-away profile, a
 * 1600×900 viewport (wide enough for every column of the console), and `close()` that also removes
 * the profile. Callers check PEERS.chromium first.
 *
 * @example
 * ```ts
 * await using chromium = await openChromium();
 * await chromium.page.goto(url);
 * ```
 */
import { chromium, type Page } from "playwright-core";

export interface OpenChromium extends AsyncDisposable {
  page: Page;
  close(): Promise<void>;
}

export async function openChromium(): Promise<OpenChromium> {
  const profile = await Deno.makeTempDir({ prefix: "vltava-chromium-" });
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking"],
    viewport: { width: 1600, height: 900 },
  });
  const close = async () => {
    await browser.close();
    await Deno.remove(profile, { recursive: true }).catch(() => {}); // a temp dir: best effort
  };
  try {
    const page = browser.pages()[0] ?? await browser.newPage();
    return { page, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await close();
    throw error;
  }
}
