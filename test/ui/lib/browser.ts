/** The browser the tests drive is the one the docs screenshot uses: lib/chromium.ts. */
export { CHROMIUM, launchChromium, type Browser } from "../../../lib/chromium.js";
