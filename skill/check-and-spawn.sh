#!/usr/bin/env bash
# check-and-spawn.sh — the original heartbeat helper: prints one status object (JSON).
# On READY, spawn the recommendation with sessions_spawn, then run:
#   process-task ack <task id> <runId> <childSessionKey>
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/task-manager" check "$@"
