#!/usr/bin/env bash
# Renders the process map of the demo organisation with Graphviz, outside
# the database:
#
#   examples/process-map.sh [OUTDIR]     (default: out/)
#
# Needs the database isms_demo made by `make demo`, the usual PG* variables
# and `dot` (Debian package graphviz).  Writes process-map.dot, .png, .svg
# and the Mermaid text process-map.mmd, and says where.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out}
db=isms_demo
org="(SELECT org_id FROM isms.organization WHERE code = 'NORTHWIND')"
mkdir -p "$out"
psql -X -At -v ON_ERROR_STOP=1 -d "$db" -c "SELECT isms.process_map($org)" > "$out/process-map.dot"
psql -X -At -v ON_ERROR_STOP=1 -d "$db" -c "SELECT isms.process_map($org, 'mermaid')" > "$out/process-map.mmd"
dot -Tpng -Gdpi=110 -o "$out/process-map.png" "$out/process-map.dot"
dot -Tsvg -o "$out/process-map.svg" "$out/process-map.dot"
dir=$(cd "$out" && pwd)
echo "process map (Graphviz): $dir/process-map.png"
echo "                        $dir/process-map.svg"
echo "             (Mermaid): $dir/process-map.mmd"
