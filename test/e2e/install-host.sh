#!/usr/bin/env bash
# Installs the real host (Clawdbot 2026.1.24-3) for end-to-end tests into .cache/clawdbot-host.
# Idempotent: a second run with the host present returns at once.
# The libsignal override is needed because the host's WhatsApp dependency names it by a git URL,
# which cannot be fetched here (see INTEGRATION.md, "Host facts").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/.ci/node-env.sh"
version="${CLAWDBOT_TEST_VERSION:-2026.1.24-3}"
dir="$root/.cache/clawdbot-host"
bin="$dir/node_modules/.bin/clawdbot"
if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "$version" ]; then
  echo "install-host: clawdbot $version already at $dir" >&2
  exit 0
fi
mkdir -p "$dir"
cat > "$dir/package.json" <<JSON
{"name":"task-manager-test-host","private":true,
 "dependencies":{"clawdbot":"$version"},
 "overrides":{"libsignal":"npm:libsignal@2.0.1"}}
JSON
echo "install-host: installing clawdbot $version into $dir" >&2
(cd "$dir" && npm install --no-audit --no-fund --loglevel=error >&2)
"$bin" --version >&2
