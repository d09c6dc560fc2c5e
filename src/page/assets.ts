import { readFileSync } from "node:fs";

/** The page's three files, shipped as written (no build step): dist/page/static/, copied there by the build. */
const FILES = {
  "": { name: "index.html", type: "text/html; charset=utf-8" },
  "app.js": { name: "app.js", type: "text/javascript; charset=utf-8" },
  "style.css": { name: "style.css", type: "text/css; charset=utf-8" },
} as const;

export type AssetPath = keyof typeof FILES;
export interface Asset {
  body: Buffer;
  type: string;
}

export const isAssetPath = (p: string): p is AssetPath => Object.hasOwn(FILES, p);

/** Read once, when the first handler is made: a few kilobytes, served from memory. */
export function loadAssets(
  dir: URL = new URL("./static/", import.meta.url),
): Map<AssetPath, Asset> {
  const assets = new Map<AssetPath, Asset>();
  for (const [route, file] of Object.entries(FILES) as Array<
    [AssetPath, (typeof FILES)[AssetPath]]
  >) {
    assets.set(route, { body: readFileSync(new URL(file.name, dir)), type: file.type });
  }
  return assets;
}

/**
 * Only this origin's own files run or load: no inline script, no other host (there is no network
 * to reach anyway). Task text is put into the page as text, and this is the second line.
 */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";
