import { test } from "vitest";
import { startFakeProvider, answer } from "./harness/fake-provider.js";
import { startHost } from "./harness/host.js";
import { readFileSync, readdirSync } from "node:fs";

test("probe1", async () => {
  const provider = await startFakeProvider({ behaviour: answer("Task finished: 42.") });
  const t0 = Date.now();
  const host = await startHost({ providerBaseUrl: provider.baseUrl });
  console.log("startHost ms", Date.now() - t0, host.root);
  try {
    let t = Date.now();
    const h = await host.call("health");
    console.log("ws health ms", Date.now() - t, JSON.stringify(h).slice(0, 300));
    t = Date.now();
    const h2 = await host.callCli("health");
    console.log("cli health ms", Date.now() - t);
    const key = "agent:main:subagent:probe-1";
    t = Date.now();
    const patch = await host.call("sessions.patch", { key, model: "fake/cheap-flash" });
    console.log("patch ms", Date.now() - t, JSON.stringify(patch, null, 1));
    console.log("store after patch", readFileSync(host.sessionsStore, "utf8"));
    const agent = await host.call("agent", { message: "Do the task", sessionKey: key, lane: "subagent", deliver: false, idempotencyKey: "idem-1", label: "task-manager:t_1" });
    console.log("agent", JSON.stringify(agent));
    const wait = await host.call("agent.wait", { runId: (agent as {runId:string}).runId, timeoutMs: 60000 });
    console.log("wait", JSON.stringify(wait));
    console.log("requests", JSON.stringify(provider.requests.map(r => ({model: r.model, n: r.messages.length, stream: r.stream, roles: r.messages.map(m=>m.role)}))));
    console.log("store", readFileSync(host.sessionsStore, "utf8"));
    console.log("files", readdirSync(host.sessionsDir));
    console.log("transcript", JSON.stringify(host.readTranscript(key), null, 1));
    console.log("events", JSON.stringify(host.events().filter(e => e.event !== "tick" && e.event !== "health").slice(0, 40)));
  } finally {
    await host.dispose();
    await provider.close();
  }
});
