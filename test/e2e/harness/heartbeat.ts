/**
 * Where each host keeps the heartbeat's instructions, and how each runs a heartbeat now.
 *
 * Clawdbot reads `<workspace>/HEARTBEAT.md` on every heartbeat (it is also one of the workspace
 * files in the system prompt). OpenClaw 2026.9 never reads that file: the instructions are the
 * heartbeat monitor's *scratch*, a row in its state database, appended to the heartbeat prompt
 * (`openclaw cron scratch <job id> --file …`; `openclaw doctor --fix` imports an old
 * HEARTBEAT.md into it). Both are done here the way a user does them. See INTEGRATION.md,
 * "Host facts".
 */
import { appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Host, JsonObject } from "./host.js";

/**
 * The heartbeat settings a private host needs: a cadence (a heartbeat with none does not run,
 * not even on demand) long enough that no tick comes by itself during a test, and no delivery
 * target (a host with no chat channel otherwise skips the tick: OpenClaw `no-route`).
 */
export const heartbeatSettings: JsonObject = { every: "30m", target: "none" };

/** Puts the pasted section where the host's heartbeat reads it. */
export async function pasteHeartbeatSection(host: Host, section: string): Promise<void> {
  if (host.kind === "clawdbot") {
    // setup wrote a HEARTBEAT.md of headings only; users paste below what is there.
    appendFileSync(path.join(host.workspace, "HEARTBEAT.md"), `\n${section}`);
    return;
  }
  const file = path.join(host.root, "heartbeat-section.md");
  writeFileSync(file, section);
  const set = await host.cli(["cron", "scratch", await heartbeatJobId(host), "--file", file]);
  if (set.code !== 0)
    throw new Error(`openclaw cron scratch failed (${set.code}):\n${set.stderr}${set.stdout}`);
}

/**
 * Runs one heartbeat now, as the host's scheduled tick would. Clawdbot: the `wake` method
 * (mode "now"; its text reaches the model as a `System:` line). OpenClaw: running the heartbeat
 * monitor job (`cron.run`), which is the scheduled poll, scratch included — its `wake` method
 * (`openclaw system event --mode now`) runs an event turn that leaves the scratch out.
 */
export async function runHeartbeatNow(host: Host): Promise<unknown> {
  if (host.kind === "clawdbot")
    return host.call("wake", {
      mode: "now",
      text: "heartbeat requested by the task-manager e2e test",
    });
  return host.call("cron.run", { id: await heartbeatJobId(host), mode: "force" });
}

const jobIds = new WeakMap<Host, string>();

/** OpenClaw's system-owned heartbeat monitor job for the main agent ("Heartbeat (main)"). */
async function heartbeatJobId(host: Host): Promise<string> {
  const known = jobIds.get(host);
  if (known) return known;
  const listed = await host.cli(["cron", "list", "--all", "--json"]);
  if (listed.code !== 0)
    throw new Error(
      `openclaw cron list failed (${listed.code}):\n${listed.stderr}${listed.stdout}`,
    );
  const jobs =
    (
      JSON.parse(listed.stdout) as {
        jobs?: Array<{ id: string; name?: string; payload?: { kind?: string } }>;
      }
    ).jobs ?? [];
  const job = jobs.find((j) => j.payload?.kind === "heartbeat");
  if (!job) throw new Error(`openclaw cron list shows no heartbeat monitor job:\n${listed.stdout}`);
  jobIds.set(host, job.id);
  return job.id;
}
