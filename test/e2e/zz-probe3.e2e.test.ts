import { test } from "vitest";
import { startFakeProvider, answer, fail } from "./harness/fake-provider.js";
import { startHost } from "./harness/host.js";
import { readdirSync, existsSync } from "node:fs";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const strip = (e: Record<string, unknown> | undefined) => { if (!e) return e; const { skillsSnapshot, systemPromptReport, ...rest } = e; return rest; };

test("probe3", async () => {
  const provider = await startFakeProvider({ behaviour: answer("ok") });
  const host = await startHost({ providerBaseUrl: provider.baseUrl });
  console.log("root", host.root);
  try {
    // A. lock after a 429 run, and retry in same session
    provider.setBehaviour(fail(429));
    const key = "agent:main:subagent:retry";
    await host.call("sessions.patch", { key, model: "fake/cheap-mini" });
    const a1 = await host.call<{ runId: string }>("agent", { message: "Task retry", sessionKey: key, lane: "subagent", deliver: false, idempotencyKey: "r-1", label: "task-manager:retry" });
    const w1 = await host.call("agent.wait", { runId: a1.runId, timeoutMs: 60000 });
    console.log("A 429 wait", JSON.stringify(w1));
    for (const d of [0, 500, 2000]) { await sleep(d); console.log(`A files after +${d}`, readdirSync(host.sessionsDir)); }
    provider.setBehaviour(answer("second try ok"));
    const t = Date.now();
    const a2 = await host.call<{ runId: string }>("agent", { message: "Task retry (attempt 2)", sessionKey: key, lane: "subagent", deliver: false, idempotencyKey: "r-2", label: "task-manager:retry" });
    const w2 = await host.call("agent.wait", { runId: a2.runId, timeoutMs: 60000 });
    console.log("A retry wait", JSON.stringify(w2), "ms", Date.now() - t);
    await sleep(500);
    console.log("A retry transcript msgs", JSON.stringify(host.readTranscript(key).filter(l => l.type === "message").map(l => { const m = l.message as Record<string, unknown>; return { role: m.role, stopReason: m.stopReason, errorMessage: m.errorMessage, content: m.content }; })));
    console.log("A store", JSON.stringify(strip(host.readSessionStore()[key])));

    // B. unknown model
    await host.call("sessions.patch", { key: "agent:main:subagent:unk", model: "fake/nope" });
    let n0 = provider.requests.length;
    const b = await host.call<{ runId: string }>("agent", { message: "x", sessionKey: "agent:main:subagent:unk", lane: "subagent", deliver: false, idempotencyKey: "unk-1" });
    const bw = await host.call("agent.wait", { runId: b.runId, timeoutMs: 30000 });
    console.log("B unknown-model wait", JSON.stringify(bw), "provider saw", JSON.stringify(provider.requests.slice(n0).map(r => r.model)));
    console.log("B transcript", JSON.stringify(host.readTranscript("agent:main:subagent:unk").slice(-2)));
    // agent call with final
    const bf = await host.call("agent", { message: "x", sessionKey: "agent:main:subagent:unk", lane: "subagent", deliver: false, idempotencyKey: "unk-2" }, { expectFinal: true }).catch((e) => `ERR ${String(e)}`);
    console.log("B expectFinal", JSON.stringify(bf).slice(0, 800));

    // C. main session run via agent (no sessionKey) with slow provider, observe during run
    provider.setBehaviour(answer("main reply", 3000));
    n0 = provider.requests.length;
    const ev0 = host.events().length;
    const c = await host.call<{ runId: string }>("agent", { message: "hello main", deliver: false, idempotencyKey: "main-1" });
    await sleep(1000);
    const store = host.readSessionStore();
    console.log("C keys during main run", Object.keys(store));
    const mainKey = Object.keys(store).find(k => !k.includes("subagent"));
    console.log("C main entry during run", JSON.stringify(strip(store[mainKey ?? ""])));
    console.log("C files during", readdirSync(host.sessionsDir));
    console.log("C status during", JSON.stringify(await host.call("status", {})).slice(0, 1500));
    const cw = await host.call("agent.wait", { runId: c.runId, timeoutMs: 30000 });
    await sleep(300);
    console.log("C wait", JSON.stringify(cw), "model", JSON.stringify(provider.requests.slice(n0).map(r => r.model)));
    console.log("C main entry after", JSON.stringify(strip(host.readSessionStore()[mainKey ?? ""])));
    console.log("C events", JSON.stringify(host.events().slice(ev0).filter(e => e.event !== "tick" && e.event !== "health").map(e => ({ event: e.event, p: JSON.stringify(e.payload).slice(0, 200) }))));

    // D. chat.send to main
    provider.setBehaviour(answer("chat reply"));
    n0 = provider.requests.length;
    const d = await host.call("chat.send", { sessionKey: "main", message: "hi from chat", idempotencyKey: "chat-1" });
    console.log("D chat.send result", JSON.stringify(d));
    await sleep(2000);
    console.log("D provider", JSON.stringify(provider.requests.slice(n0).map(r => ({ model: r.model, last: JSON.stringify(r.messages[r.messages.length - 1]).slice(0, 400) }))));
    console.log("D store keys", Object.keys(host.readSessionStore()));

    // E. wake with text → system event + heartbeat (HEARTBEAT.md is effectively empty → skip?)
    n0 = provider.requests.length;
    const ev1 = host.events().length;
    const e = await host.call("wake", { mode: "now", text: "task-manager: task t_1 failed (429)" });
    await sleep(3000);
    console.log("E wake", JSON.stringify(e), "provider", provider.requests.length - n0, "events", JSON.stringify(host.events().slice(ev1).filter(x => x.event === "heartbeat")));
    console.log("E last-heartbeat", JSON.stringify(await host.call("last-heartbeat", {})));
    // next chat.send should carry the system event
    n0 = provider.requests.length;
    await host.call("chat.send", { sessionKey: "main", message: "anything new?", idempotencyKey: "chat-2" });
    await sleep(2000);
    console.log("E next prompt", JSON.stringify(provider.requests.slice(n0).map(r => JSON.stringify(r.messages[r.messages.length - 1]).slice(0, 600))));
    const mk = "agent:main:main";
    console.log("E main transcript tail", JSON.stringify(host.readTranscript(mk).slice(-4).map(l => l.type === "message" ? JSON.stringify((l.message as Record<string, unknown>).content).slice(0, 300) : l.type)));
    console.log("logs dir", readdirSync(`${host.root}/logs`), existsSync(host.hostLog));
  } finally {
    await host.dispose();
    await provider.close();
  }
});
