#!/usr/bin/env bash
# Runs a command with the local Kafka broker up: starts it when it is not running, and stops it afterwards
# only when this script started it. The command's exit code is kept.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kafka="$here/deploy/kafka-local/kafka.sh"
started=0
if ! bash "$kafka" status >/dev/null 2>&1; then
  bash "$kafka" up || { echo "with-kafka: the local broker did not start" >&2; exit 1; }
  started=1
fi
"$@"
rc=$?
if [ "$started" = 1 ] && [ -z "${KEEP_KAFKA:-}" ]; then bash "$kafka" down; fi
exit $rc
