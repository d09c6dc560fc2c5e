// @ts-check
/**
 * The status page: everything it shows comes from api/view; it re-reads that when the server
 * says the queue changed (api/events), and ticks its countdowns locally. Task text is data: every
 * string from the server enters the page through text nodes (never innerHTML), so a prompt like
 * `<img src=x onerror=…>` is shown, not run. Checked by `npm run typecheck` (tsconfig.json here).
 */
(() => {
  /** @typedef {import("../../runtime/page-view.js").PageView} PageView */
  /** @typedef {import("../../runtime/page-view.js").TaskRow} TaskRow */
  /** @typedef {import("../../runtime/page-view.js").StateGroup} StateGroup */

  /** Server clock minus ours, so countdowns count to the server's times. */
  let skewMs = 0;
  /** @type {PageView | null} */
  let view = null;
  let loading = false;
  let again = false;

  /** Where a quota hold's end came from, in words (the hold's `source`). */
  /** @type {Record<string, string>} */
  const HOLD_SOURCE_WORDS = {
    message: "the error message",
    config: "your retry.quotaCooldownMs",
    host: "the host's record",
    default: "the default cooldown",
  };

  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

  /**
   * The key, when this page's own URL carries it: the Control UI shows the page in a sandboxed
   * frame (an opaque origin, no cookies), so the page sends the key itself — as a header, and in
   * the event stream's URL (EventSource sends no headers). A top-level visit traded it for a
   * cookie before the page loaded, and this is null.
   */
  const key = new URLSearchParams(location.search).get("token");

  /**
   * Whose queue this page shows: in a gateway with several agents, each has its own queue; the
   * filter above the counts switches between them (kept in the address as `?agent=`). Null: the
   * gateway's primary agent (and the only queue outside a gateway).
   */
  let agent = new URLSearchParams(location.search).get("agent");

  /** An API path with the agent filter (and, for the event stream, the key) in its query. @param {string} path @param {boolean} [withKey] */
  function apiUrl(path, withKey = false) {
    const q = new URLSearchParams();
    if (agent) q.set("agent", agent);
    if (withKey && key) q.set("token", key);
    const query = q.toString();
    return `api/${path}${query ? `?${query}` : ""}`;
  }

  /**
   * Builds an element; strings become text nodes. The only way text reaches the page.
   * @param {string} tag
   * @param {Record<string, string>} [attrs]
   * @param {...(Node | string | null | undefined | false)} children
   */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    fill(node, ...children);
    return node;
  }

  /**
   * Replaces a node's children, with el's rules for strings and gaps.
   * @param {Element} parent
   * @param {...(Node | string | null | undefined | false)} children
   */
  function fill(parent, ...children) {
    parent.replaceChildren();
    for (const c of children)
      if (c !== null && c !== undefined && c !== false)
        parent.append(typeof c === "string" ? document.createTextNode(c) : c);
  }

  const timeFormat = new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium",
    timeStyle: "medium",
  });
  /** @param {string | null | undefined} iso */
  const localTime = (iso) => (iso ? timeFormat.format(new Date(iso)) : "–");
  const serverNow = () => Date.now() + skewMs;

  /** @param {number} ms */
  function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    const d = Math.floor(s / 86400),
      h = Math.floor((s % 86400) / 3600),
      m = Math.floor((s % 3600) / 60),
      sec = s % 60;
    if (d > 0) return `${d}d ${h}h`;
    if (h > 0) return `${h}h ${m}m`;
    if (m > 0) return `${m}m ${sec}s`;
    return `${sec}s`;
  }

  /**
   * A time that ticks: "in 4m 12s" before it, "5m ago" after (with the local time as a tooltip).
   * @param {string} iso
   * @param {"until" | "since"} kind
   */
  function ticking(iso, kind) {
    const span = el("time", {
      class: `tick ${kind}`,
      datetime: iso,
      title: localTime(iso),
      "data-testid": kind === "until" ? "countdown" : "elapsed",
    });
    updateTick(span);
    return span;
  }

  let reloadAtZero = false;
  /** @param {Element} span */
  function updateTick(span) {
    const at = Date.parse(span.getAttribute("datetime") ?? "");
    const left = at - serverNow();
    if (span.classList.contains("until")) {
      if (left <= 0 && !span.classList.contains("due")) {
        span.classList.add("due");
        reloadAtZero = true;
      }
      span.textContent = left > 0 ? `in ${duration(left)}` : "due now";
    } else span.textContent = `${duration(-left)}`;
  }

  function tickAll() {
    for (const span of document.querySelectorAll("time.tick")) updateTick(span);
    if (reloadAtZero) {
      // A wait just ran out: the reason changes without the file changing. One reload, not a loop.
      reloadAtZero = false;
      void load();
    }
  }

  /** @param {string} text @param {boolean} [bad] */
  function say(text, bad = false) {
    const m = $("message");
    m.textContent = text;
    m.className = bad ? "message bad" : "message";
    m.hidden = false;
  }

  /**
   * @param {string} path
   * @param {Record<string, unknown>} [body] a POST when given
   */
  async function api(path, body) {
    /** @type {Record<string, string>} */
    const headers = key ? { Authorization: `Bearer ${key}` } : {};
    /** @type {RequestCredentials} */
    const credentials = key ? "omit" : "same-origin";
    const init =
      body === undefined
        ? { credentials, headers }
        : {
            method: "POST",
            credentials,
            headers: {
              ...headers,
              "Content-Type": "application/json",
              "X-Task-Manager-Action": "1",
            },
            body: JSON.stringify(body),
          };
    const res = await fetch(apiUrl(path), init);
    const data = await res
      .json()
      .catch(() => ({ status: "ERROR", code: "E_HTTP", message: `HTTP ${res.status}` }));
    if (!res.ok) throw new Error(`${data.code ?? res.status}: ${data.message ?? "failed"}`);
    return data;
  }

  /** After a failed read, the next try comes sooner than the once-a-minute refresh: 2 s, doubling to 30 s. */
  let retryMs = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retryTimer;

  async function load() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    clearTimeout(retryTimer);
    try {
      const next = /** @type {PageView} */ (await api("view"));
      skewMs = Date.parse(next.generated_at) - Date.now();
      view = next;
      render(next);
      if (retryMs > 0) $("message").hidden = true;
      retryMs = 0;
    } catch (err) {
      retryMs = Math.min(30_000, retryMs > 0 ? retryMs * 2 : 2000);
      say(
        `Could not load the status (trying again in ${retryMs / 1000} s): ${err instanceof Error ? err.message : String(err)}`,
        true,
      );
      retryTimer = setTimeout(() => void load(), retryMs);
    } finally {
      loading = false;
      if (again) {
        again = false;
        void load();
      }
    }
  }

  /**
   * @param {string} path
   * @param {Record<string, unknown>} body
   * @param {string} done
   */
  async function act(path, body, done) {
    try {
      await api(path, body);
      say(done);
    } catch (err) {
      say(err instanceof Error ? err.message : String(err), true);
    }
    await load();
  }

  /** The agent filter: one button per agent of the gateway, with its waiting and running counts. @param {PageView} v */
  function renderAgents(v) {
    const box = $("agents");
    box.hidden = v.agents.length < 2;
    box.replaceChildren(
      ...v.agents.map((a) => {
        const c = a.counts;
        const b = el(
          "button",
          {
            type: "button",
            class: a.id === v.agent ? "agent current" : "agent",
            "data-agent": a.id,
            "data-testid": "agent-tab",
            "aria-pressed": String(a.id === v.agent),
          },
          a.id,
          el(
            "span",
            { class: "muted" },
            c
              ? ` ${c.pending ?? 0} waiting · ${(c.claimed ?? 0) + (c.running ?? 0)} running`
              : ` ${a.error ?? "unreadable"}`,
          ),
        );
        b.addEventListener("click", () => switchAgent(a.id));
        return b;
      }),
    );
  }

  /** Shows another agent's queue: the address, the status and the event stream follow. @param {string} id */
  function switchAgent(id) {
    if (id === (view?.agent ?? null)) return;
    agent = id;
    const url = new URL(location.href);
    url.searchParams.set("agent", id);
    history.replaceState(null, "", url);
    void load();
    listen(false);
  }

  /** @param {PageView} v */
  function renderCounts(v) {
    const box = $("counts");
    box.replaceChildren(
      ...Object.entries(v.counts).map(([state, n]) =>
        el(
          "span",
          { class: `count state-${state}`, "data-state": state, "data-testid": `count-${state}` },
          el("b", {}, String(n)),
          ` ${state}`,
        ),
      ),
      el(
        "span",
        { class: "count total", "data-testid": "count-total" },
        el("b", {}, String(v.total)),
        " total",
      ),
    );
  }

  /**
   * "$0.82", "$0.000003", "1,200 tokens" — the same rule as the CLI's (src/core/budget.ts).
   * @param {number} n
   * @param {string} unit
   */
  function amount(n, unit) {
    if (unit === "tokens") return `${Math.round(n).toLocaleString("en-US")} tokens`;
    const abs = Math.abs(n);
    const digits = abs === 0 || abs >= 0.01 ? 2 : Math.min(9, 1 - Math.floor(Math.log10(abs)));
    return `${n < 0 ? "-" : ""}$${abs.toFixed(digits)}`;
  }

  /**
   * A meter's filled part. Its width is set through the CSSOM: the page's CSP (style-src 'self')
   * refuses style attributes. @param {number} fraction
   */
  function meterFill(fraction) {
    const part = el("span");
    part.style.width = `${Math.max(0, Math.min(100, Math.round(fraction * 100)))}%`;
    return part;
  }

  const WINDOW_WORDS = /** @type {Record<string, string>} */ ({
    minute: "the last minute",
    hour: "the last hour",
    "5h": "the last 5 hours",
    day: "the last 24 hours",
  });

  /** Budgets (spent, left, reset) and pacing limits (the window's use). @param {PageView} v */
  function renderLimits(v) {
    const box = $("limits");
    const l = v.limits;
    box.hidden = l === null;
    if (l === null) return box.replaceChildren();
    box.replaceChildren(
      ...l.budgets.map((b) => {
        const used = b.cap > 0 ? b.spent / b.cap : 1;
        const over = b.scope === "all" ? "all runs" : `${b.scope} ${b.key}`;
        return el(
          "li",
          {
            class: used >= 1 || b.left <= 0 ? "full" : used >= 0.8 ? "warn" : "",
            "data-testid": "budget",
            "data-scope": b.scope,
            "data-key": b.key,
            "data-window": b.window,
            "data-unit": b.unit,
            "data-spent": String(b.spent),
            "data-left": String(b.left),
          },
          el("span", { class: "meter" }, meterFill(used)),
          `${b.window === "day" ? "today" : "this month"}, ${over}: `,
          el("b", { "data-testid": "budget-spent" }, amount(b.spent, b.unit)),
          ` of ${amount(b.cap, b.unit)} spent, `,
          el("b", { "data-testid": "budget-left" }, amount(Math.max(0, b.left), b.unit)),
          " left",
          b.left < 0 ? ` (over by ${amount(-b.left, b.unit)})` : "",
          b.unpriced_runs > 0
            ? ` · ${b.unpriced_runs} unpriced run${b.unpriced_runs === 1 ? "" : "s"}`
            : "",
          " · resets ",
          ticking(b.resets_at, "until"),
          el("span", { class: "muted" }, ` (${l.time_zone})`),
        );
      }),
      ...l.pacing.map((p) => {
        const next = p.frees_at ?? p.next_start_at;
        return el(
          "li",
          {
            class: p.used >= p.limit ? "full" : "",
            "data-testid": "pacing",
            "data-key": p.key,
            "data-window": p.window,
          },
          el("span", { class: "meter" }, meterFill(p.used / p.limit)),
          `${p.scope} ${p.key}: ${p.used} of ${p.limit} ${p.window === "concurrent" ? "runs out at once" : `starts in ${WINDOW_WORDS[p.window] ?? p.window}`}`,
          next ? el("span", {}, " · next start ", ticking(next, "until")) : null,
          p.ramping ? el("span", { class: "muted" }, " · ramping up after a rate limit") : null,
        );
      }),
    );
  }

  /** @param {PageView} v */
  function renderCheck(v) {
    const c = v.check;
    fill(
      $("check"),
      el("span", { class: `badge check-${c.status.toLowerCase()}` }, c.reason ?? c.status),
      " ",
      c.text,
      c.until ? el("span", {}, " · ", ticking(c.until, "until")) : null,
      c.next_check_at
        ? el("span", { class: "muted" }, " · next check ", ticking(c.next_check_at, "until"))
        : null,
    );
    const m = v.machine;
    $("machine").replaceChildren(
      el("span", {}, `sessions ${m.active_sessions}/${m.max_concurrent}`),
      el("span", {}, `load ${m.load_per_core} (max ${m.load_threshold})`),
      el("span", {}, `free memory ${m.free_memory_mb} MB`),
      el(
        "span",
        {},
        `main session ${m.main_busy === null ? "not observed here" : m.main_busy ? "busy" : "idle"}`,
      ),
    );
    $("holds").replaceChildren(
      ...v.holds.map((h) =>
        el(
          "li",
          { "data-testid": "hold" },
          `${h.scope} ${h.name} ${h.state === "ready" ? "is free again: one task goes first" : h.state === "probing" ? "is being probed by one task" : "is on hold"} `,
          h.state === "waiting" || h.state === null ? ticking(h.until, "until") : "",
          h.source ? ` (reset time from ${HOLD_SOURCE_WORDS[h.source] ?? h.source})` : "",
          h.whitelisted ? "" : " (not on the whitelist)",
        ),
      ),
    );
    renderLimits(v);
    const toggle = /** @type {HTMLButtonElement} */ ($("pause-toggle"));
    toggle.hidden = false;
    toggle.textContent = v.paused ? "Resume" : "Pause";
    toggle.dataset.action = v.paused ? "resume" : "pause";
  }

  /** @param {TaskRow} t */
  function details(t) {
    const lines = [];
    if (t.wait) {
      lines.push(
        el(
          "div",
          { class: "wait", "data-testid": "wait", "data-reason": t.wait.reason },
          el("span", { class: `badge reason-${t.wait.reason}` }, t.wait.reason.replace(/_/g, " ")),
          " ",
          t.wait.text,
          t.wait.until
            ? el(
                "span",
                {},
                " · until ",
                el("span", { class: "muted" }, localTime(t.wait.until)),
                " (",
                ticking(t.wait.until, "until"),
                ")",
              )
            : null,
        ),
      );
    }
    if (t.run) {
      const r = t.run;
      lines.push(
        el(
          "div",
          { class: "run", "data-testid": "run" },
          `on ${r.model ?? "unknown model"} since ${localTime(r.since)} (`,
          ticking(r.since, "since"),
          ")",
          r.session_key ? el("span", {}, " · session ", el("code", {}, r.session_key)) : null,
          r.lease_expires_at
            ? el("span", {}, " · lease ends ", ticking(r.lease_expires_at, "until"))
            : null,
          r.timeout_at ? el("span", {}, " · times out ", ticking(r.timeout_at, "until")) : null,
          t.state === "running" && r.outcome !== "running" && r.outcome !== "unknown"
            ? el("span", { class: "muted" }, ` · host says ${r.outcome}; settled at the next check`)
            : null,
        ),
      );
    }
    const active = t.state === "pending" || t.state === "claimed" || t.state === "running";
    lines.push(
      el(
        "div",
        { class: "attempts", "data-testid": "attempts" },
        active
          ? `attempt ${Math.min(t.failures + 1, t.max_failures)} of ${t.max_failures}`
          : `${t.failures} of ${t.max_failures} failures`,
        t.quota_failures > 0
          ? ` · ${t.quota_failures} rate-limited (max ${t.max_quota_failures})`
          : "",
        ` · ${t.attempts} run${t.attempts === 1 ? "" : "s"} started`,
        t.run_at && !t.wait ? ` · next retry ${localTime(t.run_at)}` : "",
      ),
    );
    if (t.last_error) {
      const e = t.last_error;
      lines.push(
        el(
          "div",
          { class: "error", "data-testid": "last-error" },
          el("span", { class: `badge kind-${e.kind}` }, e.kind),
          ` ${e.model ? `on ${e.model} ` : ""}at ${localTime(e.at)}: `,
          el("span", { class: "error-text" }, e.message),
        ),
      );
    }
    if (t.finished_at)
      lines.push(el("div", { class: "muted" }, `finished ${localTime(t.finished_at)}`));
    return lines;
  }

  /** Two clicks to remove: the first arms the button for a few seconds. @param {TaskRow} t */
  function removeButton(t) {
    const b = el("button", { type: "button", class: "remove", "data-testid": "remove" }, "Remove");
    b.addEventListener("click", () => {
      if (b.dataset.armed === "1") return void act(`tasks/${t.id}/remove`, {}, `Removed ${t.id}.`);
      b.dataset.armed = "1";
      b.textContent = "Really remove?";
      setTimeout(() => {
        b.dataset.armed = "";
        b.textContent = "Remove";
      }, 4000);
    });
    return b;
  }

  /** @param {TaskRow} t */
  function actions(t) {
    const box = el("div", { class: "actions" });
    for (const a of t.actions) {
      if (a === "retry") {
        const b = el("button", { type: "button", "data-testid": "retry" }, "Retry");
        b.addEventListener(
          "click",
          () => void act(`tasks/${t.id}/retry`, {}, `${t.id} is pending again.`),
        );
        box.append(b);
      } else if (a === "remove") box.append(removeButton(t));
      else if (a === "priority") {
        const input = /** @type {HTMLInputElement} */ (
          el("input", {
            type: "number",
            step: "1",
            value: String(t.priority),
            "aria-label": "priority",
            "data-testid": "priority-input",
          })
        );
        const b = el("button", { type: "button", "data-testid": "priority-set" }, "Set priority");
        b.addEventListener(
          "click",
          () =>
            void act(
              `tasks/${t.id}/priority`,
              { priority: Number(input.value) },
              `${t.id} now has priority ${input.value}.`,
            ),
        );
        box.append(input, b);
      }
    }
    return box;
  }

  /** @param {TaskRow} t */
  function taskCard(t) {
    return el(
      "article",
      {
        class: `task state-${t.state}`,
        "data-task-id": t.id,
        "data-state": t.state,
        "data-testid": "task",
      },
      el(
        "header",
        {},
        el("code", {}, t.id),
        el("span", { class: `badge state-${t.state}` }, t.state),
        el(
          "span",
          { class: "muted" },
          `p${t.priority} · ${t.source} · added ${localTime(t.added_at)}`,
        ),
      ),
      el(
        "pre",
        { class: "prompt", "data-testid": "prompt" },
        t.prompt,
        t.prompt_truncated ? "…" : "",
      ),
      ...details(t),
      actions(t),
    );
  }

  /** @param {StateGroup} g */
  function groupSection(g) {
    return el(
      "section",
      { class: "group", "data-group": g.state, "data-testid": `group-${g.state}` },
      el(
        "h2",
        {},
        `${g.state} (${g.count})`,
        g.tasks.length < g.count
          ? el("span", { class: "muted" }, ` · showing ${g.tasks.length}`)
          : null,
      ),
      ...g.tasks.map(taskCard),
    );
  }

  const SVG = "http://www.w3.org/2000/svg";
  /** @param {string} tag @param {Record<string, string | number>} attrs */
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  }

  /** Stacked bars, one per hour; day marks at the viewer's local midnight. @param {PageView} v */
  function renderChart(v) {
    const h = v.history.per_hour;
    const names = Object.keys(h.series);
    const totals = Array.from({ length: h.buckets }, (_, i) =>
      names.reduce((sum, n) => sum + (h.series[n]?.[i] ?? 0), 0),
    );
    const max = Math.max(1, ...totals);
    const barW = 5,
      height = 120,
      top = 8,
      bottom = 18;
    const chart = svg("svg", {
      viewBox: `0 0 ${h.buckets * barW} ${height + top + bottom}`,
      role: "img",
      class: "bars",
    });
    chart.append(Object.assign(svg("title", {}), { textContent: "Runs per hour" }));
    const from = Date.parse(h.from);
    for (let i = 0; i < h.buckets; i++) {
      const start = new Date(from + i * h.bucket_ms);
      if (start.getHours() === 0) {
        chart.append(
          svg("line", { x1: i * barW, x2: i * barW, y1: top, y2: top + height, class: "day" }),
        );
        const label = svg("text", { x: i * barW + 2, y: top + height + 13, class: "day-label" });
        label.textContent = start.toLocaleDateString(undefined, {
          weekday: "short",
          day: "numeric",
        });
        chart.append(label);
      }
      let y = top + height;
      const parts = [];
      for (const name of names) {
        const n = h.series[name]?.[i] ?? 0;
        if (n === 0) continue;
        parts.push(`${n} ${name}`);
        const bh = (n / max) * height;
        y -= bh;
        chart.append(
          svg("rect", {
            x: i * barW + 0.5,
            y,
            width: barW - 1,
            height: bh,
            class: `s-${["done", "failed", "quota"].includes(name) ? name : "other"}`,
          }),
        );
      }
      if (parts.length > 0) {
        const hit = svg("rect", { x: i * barW, y: top, width: barW, height, class: "hit" });
        const title = svg("title", {});
        title.textContent = `${start.toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" })}: ${parts.join(", ")}`;
        hit.append(title);
        chart.append(hit);
      }
    }
    const legend = el(
      "div",
      { class: "legend" },
      ...names.map((n) =>
        el(
          "span",
          { class: `key s-${["done", "failed", "quota"].includes(n) ? n : "other"}` },
          `${n} ${(h.series[n] ?? []).reduce((a, b) => a + b, 0)}`,
        ),
      ),
    );
    $("chart").replaceChildren(chart, legend);
  }

  /**
   * Spend per local day (the budget's zone), last 30 days, from the budget ledger: USD when any
   * run was priced, else tokens. @param {PageView} v
   */
  function renderSpendChart(v) {
    const d = v.history.per_day;
    const priced = d.usd.some((n) => n > 0);
    const values = priced ? d.usd : d.tokens;
    const unit = priced ? "usd" : "tokens";
    const max = Math.max(...values, 0);
    // The runs chart's scale (a 5-unit bar per hour at up to 60rem): the same text size here.
    const barW = 14,
      height = 90,
      top = 12,
      bottom = 18;
    const chart = svg("svg", {
      viewBox: `0 0 ${d.days.length * barW} ${height + top + bottom}`,
      role: "img",
      class: "bars",
    });
    chart.append(Object.assign(svg("title", {}), { textContent: "Spend per day" }));
    if (max > 0) {
      const maxLabel = svg("text", { x: 1, y: top - 3, class: "day-label" });
      maxLabel.textContent = `max ${amount(max, unit)} a day`;
      chart.append(maxLabel);
    }
    d.days.forEach((day, i) => {
      const n = values[i] ?? 0;
      const bh = max > 0 ? (n / max) * height : 0;
      if (bh > 0)
        chart.append(
          svg("rect", {
            x: i * barW + 1,
            y: top + height - bh,
            width: barW - 2,
            height: bh,
            class: "s-spend",
          }),
        );
      if (day.endsWith("-01") || i === 0) {
        const label = svg("text", { x: i * barW + 1, y: top + height + 13, class: "day-label" });
        label.textContent = day.slice(5);
        chart.append(label);
      }
      const hit = svg("rect", {
        x: i * barW,
        y: top,
        width: barW,
        height,
        class: "hit",
        "data-day": day,
      });
      const title = svg("title", {});
      const unpriced = d.unpriced_runs[i] ?? 0;
      title.textContent = `${day}: ${amount(d.usd[i] ?? 0, "usd")}, ${amount(d.tokens[i] ?? 0, "tokens")}, ${d.runs[i] ?? 0} runs${unpriced > 0 ? ` (${unpriced} unpriced)` : ""}`;
      hit.append(title);
      chart.append(hit);
    });
    const total = values.reduce((a, b) => a + b, 0);
    $("spend-chart").replaceChildren(
      chart,
      el(
        "div",
        { class: "legend" },
        el(
          "span",
          { class: "key s-done", "data-testid": "spend-total" },
          `${amount(total, unit)} in 30 days`,
        ),
        el(
          "span",
          { class: "muted" },
          `days in ${d.time_zone}${priced ? "" : " · no priced run: tokens shown"}`,
        ),
      ),
    );
  }

  /** @param {PageView} v */
  function renderHistory(v) {
    const s = v.history;
    $("figures").replaceChildren(
      el(
        "span",
        {},
        `success rate ${s.success_rate === null ? "–" : `${Math.round(s.success_rate * 1000) / 10}%`}`,
      ),
      el(
        "span",
        {},
        `mean run ${s.mean_run_seconds === null ? "–" : duration(s.mean_run_seconds * 1000)}`,
      ),
      el("span", {}, `${s.runs} runs: ${s.done} done, ${s.failed} failed, ${s.dead} dead`),
      el(
        "span",
        { class: "muted" },
        s.since ? `since ${localTime(s.since)} (${s.limit_note})` : s.limit_note,
      ),
    );
    renderChart(v);
    renderSpendChart(v);
    const sp = s.spend;
    const usd = (/** @type {number | null} */ n) => (n === null ? "–" : `$${n.toFixed(4)}`);
    const rows = Object.entries(sp.by_model);
    fill(
      $("spend"),
      rows.length === 0
        ? el("p", { class: "muted" }, "no model run recorded yet")
        : el(
            "table",
            {},
            el(
              "thead",
              {},
              el(
                "tr",
                {},
                el("th", {}, "model"),
                el("th", {}, "runs"),
                el("th", {}, "success"),
                el("th", {}, "cost"),
                el("th", {}, "tokens in / out"),
              ),
            ),
            el(
              "tbody",
              {},
              ...rows.map(([model, r]) =>
                el(
                  "tr",
                  {},
                  el("td", {}, el("code", {}, model)),
                  el("td", {}, String(r.runs)),
                  el("td", {}, `${Math.round(r.success_rate * 1000) / 10}%`),
                  el(
                    "td",
                    {},
                    r.runs > r.runs_without_usage + r.unpriced_runs ? usd(r.cost_usd) : "–",
                  ),
                  el("td", {}, r.runs > r.runs_without_usage ? `${r.input} / ${r.output}` : "–"),
                ),
              ),
            ),
          ),
      el(
        "p",
        {},
        `total ${usd(sp.total_usd)}`,
        sp.saved_usd !== null
          ? ` · saved ${usd(sp.saved_usd)} against ${sp.main_model ?? "the main model"} (${usd(sp.on_main_model_usd)} there)`
          : "",
        sp.note ? el("span", { class: "muted" }, ` · ${sp.note}`) : null,
      ),
    );
  }

  /**
   * The gateways sharing a database queue: which one this page is on, and whether each is
   * alive (a gone one's runs are settled by the others).
   * @param {PageView} v
   */
  function renderGateways(v) {
    const list = $("gateways");
    list.hidden = v.store.gateways.length === 0;
    list.replaceChildren(
      ...v.store.gateways.map((g) =>
        el(
          "li",
          { "data-testid": "gateway", "data-gateway": g.id },
          el("strong", {}, g.id),
          g.id === v.store.gateway?.id ? " (this one)" : "",
          ` · ${g.kind === "plugin" ? "gateway" : "skill-mode host"} · ${g.lost ? "gone: its runs are settled by the others" : "alive"} · last seen `,
          ticking(g.heartbeat_at, "since"),
          " ago",
          el("span", { class: "muted" }, ` · ${g.label}`),
        ),
      ),
    );
  }

  /** @param {PageView} v */
  function render(v) {
    renderAgents(v);
    renderCounts(v);
    renderCheck(v);
    $("groups").replaceChildren(
      ...(v.groups.length === 0
        ? [el("p", { class: "muted" }, "The queue is empty.")]
        : v.groups.map(groupSection)),
    );
    renderHistory(v);
    $("updated").replaceChildren(
      "updated ",
      el("time", { datetime: v.generated_at }, localTime(v.generated_at)),
    );
    $("footer").replaceChildren(
      `agent ${v.agent} · workspace ${v.workspace} · ${v.store.kind === "file" ? "queue file" : "queue"} ${v.queue_file} · revision ${v.revision} · times in ${Intl.DateTimeFormat().resolvedOptions().timeZone}`,
    );
    renderGateways(v);
    document.body.dataset.revision = String(v.revision);
  }

  /**
   * The event stream. The browser reconnects by itself after a dropped connection, but gives up
   * on an answer other than 200 (a gateway mid-reload answers 503): then a new stream in 5 s.
   * Every reopening re-reads the status, since changes made meanwhile sent no event here.
   */
  /** @type {EventSource | null} */
  let source = null;
  function listen(first = true) {
    const live = $("live");
    source?.close();
    const current = new EventSource(apiUrl("events", true));
    source = current;
    let opened = !first;
    current.addEventListener("open", () => {
      live.textContent = "live";
      live.className = "live on";
      if (opened) void load();
      opened = true;
    });
    current.addEventListener("error", () => {
      if (current !== source) return; // replaced by another agent's stream
      live.textContent = "reconnecting…";
      live.className = "live off";
      if (current.readyState === EventSource.CLOSED) setTimeout(() => listen(false), 5000);
    });
    current.addEventListener("change", () => void load());
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("pause-toggle").addEventListener("click", (e) => {
      const action = /** @type {HTMLElement} */ (e.currentTarget).dataset.action ?? "pause";
      void act(action, {}, action === "pause" ? "Paused: checks start nothing." : "Resumed.");
    });
    $("add-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const prompt = /** @type {HTMLTextAreaElement} */ ($("add-prompt"));
      const priority = /** @type {HTMLInputElement} */ ($("add-priority"));
      void act(
        "tasks",
        { prompt: prompt.value, priority: Number(priority.value) },
        "Task added.",
      ).then(() => {
        prompt.value = "";
      });
    });
    void load();
    listen();
    setInterval(tickAll, 1000);
    // Load and sessions change without the queue file changing: a slow refresh while visible.
    setInterval(() => {
      if (document.visibilityState === "visible" && view) void load();
    }, 60_000);
  });
})();
