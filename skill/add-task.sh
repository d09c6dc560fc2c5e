#!/usr/bin/env bash
# add-task.sh "task text" [priority] — the original helper's name and arguments.
# add-task.sh - [priority] reads the text from stdin (what an agent should use: a heredoc with
# a quoted delimiter, never text inside a quoted argument). Honours TASK_MANAGER_WORKSPACE.
# The text is passed as one argument, never through eval.
set -euo pipefail
if [ "$#" -lt 1 ]; then
  echo 'usage: add-task.sh "task text" [priority (1 = most urgent, default 5)]' >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# `--` ends the options: text such as "--help" or "-w /elsewhere" is a task, not a flag.
exec "$here/task-manager" add --priority "${2:-5}" --source "${TASK_MANAGER_SOURCE:-skill}" --json -- "$1"
