import type { Frame, Page } from "playwright-core";

/** Where the page runs: a top-level tab (serve, Clawdbot) or the Control UI's frame (OpenClaw). */
export type Surface = Page | Frame;

/** Task text that would run if it were ever put into the page as HTML. */
export const HOSTILE = `<img src=x onerror=alert(1)><script>window.__pwned = 1</script> & "quotes"`;

export const card = (id: string): string => `[data-testid=task][data-task-id="${id}"]`;

export async function until(
  cond: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The counts the page shows, by state ("total" included). */
export function shownCounts(surface: Surface): Promise<Record<string, number>> {
  return surface
    .$$eval("[data-testid^=count-]", (els) =>
      els.map(
        (e) =>
          [
            e.getAttribute("data-testid")!.slice(6),
            Number(e.querySelector("b")!.textContent),
          ] as const,
      ),
    )
    .then((pairs) => Object.fromEntries(pairs));
}

/** Tasks per state, as `list --all --json` gives them. */
export function countsOf(tasks: ReadonlyArray<{ state: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const task of tasks) counts[task.state] = (counts[task.state] ?? 0) + 1;
  return counts;
}

/** Non-zero state counts the page shows (the page lists every known state, zeros too). */
export async function shownNonZero(surface: Surface): Promise<Record<string, number>> {
  return Object.fromEntries(
    Object.entries(await shownCounts(surface)).filter(([state, n]) => state !== "total" && n > 0),
  );
}

/**
 * Task text is shown as text: the card holds it verbatim, no element was made from it, no script
 * from it ran. Expressions, not functions: the tests are type-checked without the DOM library.
 */
export async function hostileShownAsText(surface: Surface, id: string): Promise<void> {
  const text = await surface.textContent(`${card(id)} [data-testid=prompt]`);
  if (text !== HOSTILE) throw new Error(`the hostile prompt is shown as ${JSON.stringify(text)}`);
  const made = await surface.evaluate<number>(
    "document.querySelectorAll('img, main script').length",
  );
  const ran = await surface.evaluate<string>("typeof window.__pwned");
  if (made !== 0 || ran !== "undefined")
    throw new Error(`the hostile prompt became markup (${made} elements) or ran (__pwned: ${ran})`);
}

/** A waiting task shows why (`reason`) and a countdown to when, and the countdown ticks. */
export async function countdownTicks(surface: Surface, id: string, reason: string): Promise<void> {
  const wait = surface.locator(`${card(id)} [data-testid=wait]`);
  await until(
    async () => (await wait.getAttribute("data-reason")) === reason,
    10_000,
    `${id} to wait for "${reason}"`,
  );
  const countdown = wait.locator("[data-testid=countdown]");
  const first = await countdown.textContent();
  if (!/^in (\d+m )?\d+s$/.test(first ?? ""))
    throw new Error(`the countdown reads ${JSON.stringify(first)}`);
  await until(async () => (await countdown.textContent()) !== first, 3000, "the countdown to tick");
}

/**
 * What a tab's requests under the page's path did: those still unanswered, those that failed,
 * and what its frames logged as errors. For a failure message, when a page never came alive.
 */
export function recordPageTraffic(tab: Page, pathPart: string): () => string {
  const open = new Map<object, string>();
  const notes: string[] = [];
  const started = Date.now();
  const at = (): string => `+${((Date.now() - started) / 1000).toFixed(1)}s`;
  tab.on("request", (r) => {
    if (r.url().includes(pathPart))
      open.set(r, `${r.method()} ${r.url().replace(/token=[^&]+/, "token=…")}`);
  });
  tab.on("requestfinished", (r) => void open.delete(r));
  tab.on("requestfailed", (r) => {
    const what = open.get(r);
    open.delete(r);
    if (what) notes.push(`${at()} failed: ${what}: ${r.failure()?.errorText ?? "?"}`);
  });
  tab.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning")
      notes.push(`${at()} console ${m.type()}: ${m.text()}`);
  });
  tab.on("pageerror", (e) => notes.push(`${at()} page error: ${e.message}`));
  return () =>
    [`unanswered: ${[...open.values()].join("; ") || "none"}`, ...notes.slice(-20)].join("\n");
}
