#!/usr/bin/env bash
# Installs the Temporal CLI (which embeds the dev server and its Web UI) into tools/bin, once.
# v1.5.1 is the last tag whose go.mod has no `replace` directive, so the last one `go install` accepts.
set -euo pipefail

TEMPORAL_CLI_VERSION="1.5.1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
gobin="${TRIPWIRE_TOOLS_DIR:-$root/tools}/bin"
target="$gobin/temporal"

if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  if [ -x "$TEMPORAL_CLI_PATH" ]; then
    echo "temporal: using TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH"
    exit 0
  fi
  echo "temporal: TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file" >&2
  exit 1
fi

if [ -x "$target" ] && "$target" --version 2>/dev/null | grep -q "temporal version $TEMPORAL_CLI_VERSION"; then
  echo "temporal: $TEMPORAL_CLI_VERSION already installed at $target"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "temporal: Go is not installed, and it is needed once to build the Temporal CLI $TEMPORAL_CLI_VERSION." >&2
  echo "          Install Go 1.25 or later (https://go.dev/doc/install, or 'apt-get install golang-go'), or set" >&2
  echo "          TEMPORAL_ADDRESS to an existing Temporal cluster, or TEMPORAL_CLI_PATH to a temporal binary." >&2
  exit 1
fi

mkdir -p "$gobin"
echo "temporal: building the Temporal CLI $TEMPORAL_CLI_VERSION with $(go version | awk '{print $3}') into $gobin"
echo "temporal: the first build downloads and compiles the Temporal server; expect 5-15 minutes on 2 cores."
start=$(date +%s)
log="$(mktemp)"
# Progress: go install is silent for minutes, so report what its -x trace shows every 20 s.
( while sleep 20; do
    echo "temporal:   $(( $(date +%s) - start ))s: $(grep -c '^# get ' "$log" 2>/dev/null || true) module downloads, $(grep -c 'compile -o' "$log" 2>/dev/null || true) packages compiled"
  done ) &
progress=$!
set +e
# The -X flag stamps the real version, which the check above relies on (the default is 0.0.0-DEV).
GOBIN="$gobin" CGO_ENABLED=0 go install -x -buildvcs=false \
  -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_CLI_VERSION" \
  "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >"$log" 2>&1
status=$?
set -e
kill "$progress" 2>/dev/null || true
if [ "$status" -ne 0 ] || [ ! -x "$target" ]; then
  grep -v '^\(#\|mkdir\|cd \|cat \|EOF\|WORK=\|rm -r\|mv \|cp \|/\)' "$log" | tail -20 >&2 || true
  echo "temporal: the build failed (exit $status); the lines above are Go's. It needs the Go module proxy." >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
echo "temporal: installed $("$target" --version) in $(( $(date +%s) - start ))s"
