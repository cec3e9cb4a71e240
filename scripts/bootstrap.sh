#!/usr/bin/env bash
# Installs the system packages the project needs on a fresh Debian/Ubuntu machine (when run as root):
# a Python 3.11+ with venv, Java 17 and Maven (for the local Kafka broker), Prometheus and Alertmanager
# (the operations stack's tests), npm. Idempotent; prints what it does.
set -euo pipefail
PYTHON="${1:-python3}"
missing=()
if ! command -v "$PYTHON" >/dev/null 2>&1; then missing+=(python3 python3-venv python3-pip); fi
if command -v "$PYTHON" >/dev/null 2>&1 && ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
# The operations stack's tests: promtool, prometheus, amtool, prometheus-alertmanager (Debian packages) and
# node/npm for the KEDA schema check.
# They are installed when possible (root + apt-get); without them only those tests cannot run, so a
# non-root user still gets `make demo` (the tests then say what is missing).
optional=()
command -v promtool >/dev/null 2>&1 || optional+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || optional+=(prometheus-alertmanager)
command -v npm >/dev/null 2>&1 || optional+=(npm)
if [ ${#optional[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    missing+=("${optional[@]}")
  else
    echo "bootstrap: not installing ${optional[*]} (needs root and apt-get): the operations-stack tests need them" >&2
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "bootstrap: please install: ${missing[*]} (need root and apt-get to do it here)" >&2
    exit 1
  fi
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "bootstrap: $PYTHON is $("$PYTHON" --version 2>&1); Python 3.11 or newer is needed (set PYTHON=...)" >&2
  exit 1
fi
