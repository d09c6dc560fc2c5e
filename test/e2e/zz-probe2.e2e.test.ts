import { test } from "vitest";
import { startFakeProvider, answer, fail } from "./harness/fake-provider.js";
import { startHost } from "./harness/host.js";
import { readFileSync } from "node:fs";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const strip = (e: Record<string, unknown>) => { const { skillsSnapshot, ...rest } = e; return rest; };

test("probe2", async () => {
  const provider = await startFakeProvider({ behaviour: answer("ok") });
  const host = await startHost({ providerBaseUrl: provider.baseUrl });
  console.log("root", host.root);
  const storeEntry = (k: string) => strip((host.readSessionStore()[k] ?? {}) as Record<string, unknown>);
  async function spawn(id: string, idem: string, model = "fake/cheap-flash") {
    const key = `agent:main:subagent:${id}`;
    const patch = await host.call("sessions.patch", { key, model });
    const t = Date.now();
    const agent = await host.call<{ runId: string }>("agent", { message: `Task ${id}`, sessionKey: key, lane: "subagent", deliver: false, idempotencyKey: idem, label: `task-manager:${id}` });
    return { key, patch, agent, t };
  }
  try {
    // 1. success, then check store later
    const s1 = await spawn("ok1", "idem-ok1");
    const w1 = await host.call("agent.wait", { runId: s1.agent.runId, timeoutMs: 60000 });
    console.log("OK wait", JSON.stringify(w1), "store immediately", JSON.stringify(storeEntry(s1.key)));
    await sleep(1500);
    console.log("OK store after 1.5s", JSON.stringify(storeEntry(s1.key)));

    // 2. repeat idempotencyKey within lifetime
    const nReq = provider.requests.length;
    const again = await host.call("agent", { message: "Task ok1", sessionKey: s1.key, lane: "subagent", deliver: false, idempotencyKey: "idem-ok1", label: "x" });
    await sleep(1500);
    console.log("REPEAT result", JSON.stringify(again), "new provider requests", provider.requests.length - nReq);
    const againWait = await host.call("agent.wait", { runId: "idem-ok1", timeoutMs: 1000 });
    console.log("REPEAT wait", JSON.stringify(againWait));
    const unknownWait = await host.call("agent.wait", { runId: "never-ran", timeoutMs: 500 });
    console.log("UNKNOWN wait", JSON.stringify(unknownWait));

    // 3. 429 always
    provider.setBehaviour(fail(429));
    let n0 = provider.requests.length;
    const s2 = await spawn("rl", "idem-rl");
    const w2 = await host.call("agent.wait", { runId: s2.agent.runId, timeoutMs: 120000 });
    console.log("429 wait", JSON.stringify(w2), "elapsed", Date.now() - s2.t, "provider requests", provider.requests.length - n0, JSON.stringify(provider.requests.slice(n0).map(r => [r.model, r.at - s2.t])));
    console.log("429 store", JSON.stringify(storeEntry(s2.key)));
    console.log("429 transcript", JSON.stringify(host.readTranscript(s2.key).slice(4)));

    // 4. 500 always
    provider.setBehaviour(fail(500));
    n0 = provider.requests.length;
    const s3 = await spawn("e500", "idem-500");
    const w3 = await host.call("agent.wait", { runId: s3.agent.runId, timeoutMs: 120000 });
    console.log("500 wait", JSON.stringify(w3), "elapsed", Date.now() - s3.t, "provider requests", provider.requests.length - n0, JSON.stringify(provider.requests.slice(n0).map(r => [r.model, r.at - s3.t])));
    console.log("500 store", JSON.stringify(storeEntry(s3.key)));
    console.log("500 transcript", JSON.stringify(host.readTranscript(s3.key).slice(4)));

    // 5. restart then repeat idempotencyKey
    provider.setBehaviour(answer("after restart"));
    await host.restart();
    n0 = provider.requests.length;
    const waitOld = await host.call("agent.wait", { runId: "idem-ok1", timeoutMs: 500 });
    console.log("AFTER RESTART wait old run", JSON.stringify(waitOld));
    const again2 = await host.call<{ runId: string }>("agent", { message: "Task ok1", sessionKey: s1.key, lane: "subagent", deliver: false, idempotencyKey: "idem-ok1", label: "task-manager:ok1" });
    const w5 = await host.call("agent.wait", { runId: again2.runId, timeoutMs: 60000 });
    console.log("AFTER RESTART repeat", JSON.stringify(again2), JSON.stringify(w5), "new provider requests", provider.requests.length - n0);
    console.log("AFTER RESTART transcript ok1 tail", JSON.stringify(host.readTranscript(s1.key).slice(-3).map(l => l.type === "message" ? (l.message as {role:string}).role : l.type)));

    // 6. errors: sessions.patch with unknown model
    try { await host.call("sessions.patch", { key: "agent:main:subagent:bad", model: "fake/nope" }); console.log("PATCH unknown ok?!"); } catch (e) { console.log("PATCH unknown error", String(e)); }
    try { await host.call("sessions.patch", { key: "agent:main:subagent:bad2", model: "cheap-flash" }); console.log("PATCH bare model ok", JSON.stringify(storeEntry("agent:main:subagent:bad2"))); } catch (e) { console.log("PATCH bare error", String(e)); }
    // 7. agent without patch (default model)
    n0 = provider.requests.length;
    const r7 = await host.call<{ runId: string }>("agent", { message: "hi", sessionKey: "agent:main:subagent:nopatch", lane: "subagent", deliver: false, idempotencyKey: "idem-np" });
    await host.call("agent.wait", { runId: r7.runId, timeoutMs: 60000 });
    console.log("NOPATCH model", JSON.stringify(provider.requests.slice(n0).map(r => r.model)));
    // 8. sessions.list
    const list = await host.call("sessions.list", {});
    console.log("sessions.list", JSON.stringify(list).slice(0, 3000));
    console.log("EVENTS kinds", JSON.stringify([...new Set(host.events().map(e => e.event))]));
  } finally {
    await host.dispose();
    await provider.close();
  }
});
