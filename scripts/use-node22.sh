# Source this file: puts a Node.js >= 22.22 first on PATH, installing one from the npm registry into
# .node/ when the machine's node is older. Usage: source scripts/use-node22.sh
_pic_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_pic_node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=22)?0:1)' 2>/dev/null; }
if ! _pic_node_ok; then
  if [ ! -x "$_pic_root/.node/node_modules/.bin/node" ]; then
    echo "Node.js $(node --version 2>/dev/null || echo missing) is older than 22.22: installing node@22 into .node/ from the npm registry" >&2
    npm install --no-save --no-audit --no-fund --prefix "$_pic_root/.node" node@22 >/dev/null 2>&1 || {
      echo "could not install node@22 from the npm registry; install Node.js 22.22 or newer and retry" >&2
      return 1 2>/dev/null || exit 1
    }
  fi
  export PATH="$_pic_root/.node/node_modules/.bin:$PATH"
fi
unset -f _pic_node_ok
unset _pic_root
