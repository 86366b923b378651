#!/usr/bin/env bash
# Idempotent set-up: a project virtualenv from requirements.lock and the JVM jars in .cache/jars.
# A second run with nothing changed is a quick no-op. Called by every Makefile target that needs it.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP=$VENV/.healthlake-installed
UV_VERSION=0.13.9

die() { echo "healthlake setup: $*" >&2; exit 1; }

# Python 3.11 is what the lock was made for.
PYTHON=${HEALTHLAKE_PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
  || die "Python 3.11 is required (found: $("$PYTHON" --version 2>&1)). Install python3.11 or set HEALTHLAKE_PYTHON."

# Spark 4 runs on Java 17 or 21.
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
if ! command -v "$JAVA" >/dev/null 2>&1; then
  die "Java 17 was not found. Install it (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME."
fi
java_major=$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
case "$java_major" in
  17|21) ;;
  *) die "Java $java_major found, but Spark 4 needs Java 17 (or 21). Install openjdk-17-jdk-headless or point JAVA_HOME at a JDK 17." ;;
esac

want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
  echo "healthlake setup: installing Python dependencies into $VENV (first run takes a minute) ..."
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  "$VENV/bin/uv" pip sync --quiet --python "$VENV/bin/python" requirements.lock
  "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" --no-deps -e .
  echo "$want" > "$STAMP"
fi

"$VENV/bin/python" -m healthlake.jars
