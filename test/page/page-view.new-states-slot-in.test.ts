import { describe, expect, it } from "vitest";
import type { Task } from "../../src/core/queue-model.js";
import { actionsFor, stateRank } from "../../src/runtime/page-view.js";
import { countStates } from "../../src/store/change.js";
import { queueWith } from "../helpers/fixtures.js";

describe("the status view shows states it does not know yet (from a newer version) instead of dropping them", () => {
  it("counts every known state (zeros too) and any other state found", () => {
    const [a, b, c] = queueWith(["a", "b", "c"]).tasks as [Task, Task, Task];
    const tasks = [a, { ...b, state: "review" }, { ...c, state: "zzz-new" }] as unknown as Task[];
    expect(countStates(tasks)).toEqual({
      pending: 1,
      claimed: 0,
      running: 0,
      done: 0,
      dead: 0,
      expired: 0,
      review: 1,
      "zzz-new": 1,
    });
  });

  it("orders groups: waiting and in flight first, then what needs a person, then an unknown state, then done", () => {
    const order = ["done", "zzz-new", "dead", "running", "pending", "claimed"].sort(
      (x, y) => stateRank(x) - stateRank(y),
    );
    expect(order).toEqual(["pending", "claimed", "running", "dead", "zzz-new", "done"]);
  });

  it("offers an action only where the core transition accepts the state", () => {
    expect(actionsFor("dead")).toEqual(["retry", "priority", "remove"]);
    expect(actionsFor("pending")).toEqual(["priority", "remove"]);
    expect(actionsFor("running")).toEqual(["remove"]);
    expect(actionsFor("review")).toEqual(["retry", "priority", "remove"]);
    expect(actionsFor("expired")).toEqual(["retry", "priority", "remove"]);
    expect(actionsFor("zzz-new")).toEqual(["remove"]);
  });
});
