/**
 * Nothing a test host starts may outlive the test run, also when a test fails or times out:
 * gateways are spawned in their own process group and killed with it, and processes a gateway
 * detaches into a group of their own (OpenClaw's spawn broker) are found by the private HOME in
 * their environment.
 */
import type { ChildProcess } from "node:child_process";
import { killByHome, killGroup } from "../../../lib/home-processes.js";

/** Every gateway still running, so a crashed test run cannot leak processes. */
const live = new Set<ChildProcess>();
/** Every private HOME created in this process, for the straggler sweep on exit. */
const homes = new Set<string>();

process.once("exit", () => {
  for (const child of live) killGroup(child.pid);
  for (const home of homes) killByHome(home);
});

export function track(child: ChildProcess, home: string): void {
  live.add(child);
  homes.add(home);
  child.once("exit", () => live.delete(child));
}

export function forgetHome(home: string): void {
  homes.delete(home);
}

export { killByHome, killGroup };
