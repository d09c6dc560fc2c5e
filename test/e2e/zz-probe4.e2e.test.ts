import { test } from "vitest";
import { startFakeProvider, answer, fail } from "./harness/fake-provider.js";
import { startHost } from "./harness/host.js";
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const plugin = join(import.meta.dirname, "fixtures/probe-plugin");

test("probe4", async () => {
  const provider = await startFakeProvider({ behaviour: answer("ok") });
  const logFile = `/tmp/tm-e2e/probes/plugin-${Date.now()}.jsonl`;
  const t0 = Date.now();
  const host = await startHost({ providerBaseUrl: provider.baseUrl, pluginPaths: [plugin], pluginEntries: { "tm-probe": { enabled: true, config: { greeting: "hello", n: 3 } } }, env: { TM_PROBE_LOG: logFile } });
  console.log("root", host.root, "start ms", Date.now() - t0);
  const plog = () => existsSync(logFile) ? readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { kind: string; at: number; data: unknown }) : [];
  let mark = 0;
  const newLog = (label: string) => { const all = plog(); console.log(`PLOG[${label}]`, JSON.stringify(all.slice(mark).map(e => ({ k: e.kind, d: e.data })))); mark = all.length; };
  try {
    await sleep(500);
    newLog("startup");
    let t = Date.now();
    const pl = await host.cli(["plugins", "list", "--json"]);
    console.log("plugins list ms", Date.now() - t, "code", pl.code, pl.stdout.slice(0, 200));
    try { const j = JSON.parse(pl.stdout) as { plugins?: { id: string }[] }; console.log("plugins list tm-probe", JSON.stringify(j.plugins?.find((p) => p.id === "tm-probe"))); } catch (e) { console.log("plugins list not json", pl.stdout.slice(0, 1500), pl.stderr.slice(0, 500)); }
    newLog("after plugins list");
    const cliRes = await host.cli(["tmprobe"]);
    console.log("CLI tmprobe", cliRes.code, cliRes.stdout.slice(-300), cliRes.stderr.slice(-300));
    newLog("after cli");
    console.log("WS tmprobe.ping", JSON.stringify(await host.call("tmprobe.ping", { a: 1 })));
    console.log("CLI tmprobe.ping", JSON.stringify(await host.callCli("tmprobe.ping", { b: 2 })));
    newLog("after ping");

    // sub-agent success
    const key = "agent:main:subagent:hooks";
    await host.call("sessions.patch", { key, model: "fake/cheap-flash" });
    const r1 = await host.call<{ runId: string }>("agent", { message: "ok task", sessionKey: key, lane: "subagent", deliver: false, idempotencyKey: "h-1", label: "task-manager:h" });
    await host.call("agent.wait", { runId: r1.runId, timeoutMs: 30000 });
    await sleep(500);
    newLog("subagent ok");

    // sub-agent 429 with default pi auto-retry: timeline
    provider.setBehaviour(fail(429));
    const key2 = "agent:main:subagent:rl";
    await host.call("sessions.patch", { key: key2, model: "fake/cheap-flash" });
    const n0 = provider.requests.length;
    const ev0 = host.events().length;
    const ts = Date.now();
    const r2 = await host.call<{ runId: string }>("agent", { message: "rl task", sessionKey: key2, lane: "subagent", deliver: false, idempotencyKey: "h-2", label: "task-manager:rl" });
    const w2 = await host.call("agent.wait", { runId: r2.runId, timeoutMs: 60000 });
    console.log("429 wait at", Date.now() - ts, JSON.stringify(w2));
    const sid = host.readSessionStore()[key2]?.sessionId;
    for (let i = 0; i < 24; i++) {
      const lines = host.readTranscript(key2).filter(l => l.type === "message").length;
      const lock = existsSync(join(host.sessionsDir, `${sid}.jsonl.lock`));
      console.log(`429 t+${Date.now() - ts}ms requests=${provider.requests.length - n0} msgs=${lines} lock=${lock}`);
      await sleep(1000);
    }
    console.log("429 request times", JSON.stringify(provider.requests.slice(n0).map(r => r.at - ts)));
    console.log("429 transcript", JSON.stringify(host.readTranscript(key2).filter(l => l.type !== "message" || true).slice(4).map(l => l.type === "message" ? { role: (l.message as Record<string, unknown>).role, stop: (l.message as Record<string, unknown>).stopReason, err: (l.message as Record<string, unknown>).errorMessage, ts: l.timestamp } : l)));
    console.log("429 events", JSON.stringify(host.events().slice(ev0).filter(e => e.event === "agent").map(e => e.payload)));
    console.log("429 store", JSON.stringify(host.readSessionStore()[key2], (k, v) => k === "skillsSnapshot" ? undefined : v));
    newLog("subagent 429");

    // plugin command via chat.send
    provider.setBehaviour(answer("main answer"));
    const mk = "agent:main:main";
    let n1 = provider.requests.length;
    const cs = await host.call("chat.send", { sessionKey: mk, message: "/tmprobe hello there", idempotencyKey: "cmd-1" });
    await sleep(1500);
    console.log("CMD chat.send", JSON.stringify(cs), "provider reqs", provider.requests.length - n1);
    console.log("CMD store keys", Object.keys(host.readSessionStore()));
    console.log("CMD main transcript", JSON.stringify(host.readTranscript(mk).slice(-3)));
    console.log("CMD chat.history", JSON.stringify(await host.call("chat.history", { sessionKey: mk, limit: 5 })).slice(0, 1500));
    newLog("command");

    // system event from plugin into main session
    console.log("ENQ", JSON.stringify(await host.call("tmprobe.enqueue", { text: "task-manager: task t_9 needs attention", sessionKey: mk })));
    const st = await host.call<{ queuedSystemEvents: unknown }>("status", {});
    console.log("ENQ status.queuedSystemEvents", JSON.stringify(st.queuedSystemEvents));
    n1 = provider.requests.length;
    await host.call("chat.send", { sessionKey: mk, message: "anything new?", idempotencyKey: "chat-2" });
    await sleep(1500);
    console.log("ENQ next prompt user msg", JSON.stringify(provider.requests.slice(n1).map(r => r.messages[r.messages.length - 1])));
    console.log("ENQ main transcript tail", JSON.stringify(host.readTranscript(mk).slice(-2).map(l => (l.message as Record<string, unknown> | undefined)?.content ?? l.type)));
    newLog("enqueue");

    // main mid-run observation + heartbeat skip
    writeFileSync(join(host.workspace, "HEARTBEAT.md"), "# HEARTBEAT.md\n\n- Check the task queue.\n");
    provider.setBehaviour(answer("slow main answer", 4000));
    const ev1 = host.events().length;
    n1 = provider.requests.length;
    const slow = await host.call("chat.send", { sessionKey: mk, message: "long question", idempotencyKey: "chat-3" });
    await sleep(1500);
    const entryDuring = host.readSessionStore()[mk];
    console.log("BUSY chat.send", JSON.stringify(slow), "entry during", JSON.stringify(entryDuring, (k, v) => k === "skillsSnapshot" || k === "systemPromptReport" ? undefined : v));
    console.log("BUSY files during", readdirSync(host.sessionsDir));
    console.log("BUSY wake", JSON.stringify(await host.call("wake", { mode: "now", text: "tm: wake while busy" })));
    await sleep(500);
    console.log("BUSY last-heartbeat", JSON.stringify(await host.call("last-heartbeat", {})));
    console.log("BUSY sessions.list main", JSON.stringify((await host.call<{ sessions: { key: string }[] }>("sessions.list", {})).sessions.find(s => s.key === mk)));
    await sleep(4000);
    console.log("BUSY files after", readdirSync(host.sessionsDir));
    console.log("BUSY events", JSON.stringify(host.events().slice(ev1).filter(e => e.event !== "tick" && e.event !== "health").map(e => ({ e: e.event, p: JSON.stringify(e.payload).slice(0, 250) }))));
    console.log("BUSY provider models", JSON.stringify(provider.requests.slice(n1).map(r => [r.model, JSON.stringify(r.messages[r.messages.length - 1]).slice(0, 300)])));
    provider.setBehaviour(answer("HEARTBEAT_OK"));
    n1 = provider.requests.length;
    console.log("HB wake idle", JSON.stringify(await host.call("wake", { mode: "now", text: "tm: wake idle" })));
    await sleep(3000);
    console.log("HB last-heartbeat", JSON.stringify(await host.call("last-heartbeat", {})));
    console.log("HB provider", JSON.stringify(provider.requests.slice(n1).map(r => [r.model, JSON.stringify(r.messages[r.messages.length - 1]).slice(0, 500)])));
    newLog("busy+heartbeat");

    // SIGTERM → service.stop / gateway_stop
    await host.stop();
    await sleep(300);
    newLog("after SIGTERM");
    console.log("gateway log tail", readFileSync(host.gatewayLog, "utf8").split("\n").filter(l => /plugin|tm-probe|tmprobe/i.test(l)).slice(-15).join("\n"));

    // pi retry settings
    mkdirSync(join(host.stateDir, "agents/main/agent"), { recursive: true });
    writeFileSync(join(host.stateDir, "agents/main/agent/settings.json"), JSON.stringify({ retry: { enabled: false } }));
    await host.restart();
    newLog("restart");
    provider.setBehaviour(fail(429));
    const key3 = "agent:main:subagent:noretry";
    await host.call("sessions.patch", { key: key3, model: "fake/cheap-flash" });
    const n3 = provider.requests.length;
    const r3 = await host.call<{ runId: string }>("agent", { message: "rl task", sessionKey: key3, lane: "subagent", deliver: false, idempotencyKey: "h-3" });
    await host.call("agent.wait", { runId: r3.runId, timeoutMs: 60000 });
    await sleep(3500);
    const sid3 = host.readSessionStore()[key3]?.sessionId;
    console.log("NORETRY requests", provider.requests.length - n3, "lock", existsSync(join(host.sessionsDir, `${sid3}.jsonl.lock`)), "msgs", JSON.stringify(host.readTranscript(key3).filter(l => l.type === "message").map(l => (l.message as Record<string, unknown>).stopReason ?? (l.message as Record<string, unknown>).role)));
    await host.kill();
    await sleep(300);
    newLog("after SIGKILL");
  } finally {
    await host.dispose();
    await provider.close();
  }
});
