#!/usr/bin/env bash
# Runs CMD with a real, unlocked Secret Service (gnome-keyring) on a private D-Bus session bus, so the OS
# keychain (@napi-rs/keyring) works on a headless Linux machine (CI, containers, SSH sessions).
#
#   scripts/with-keyring.sh CMD [ARGS…]        # exit status = CMD's
#
# - A private bus (dbus-run-session) and a throw-away keyring: the daemon gets its own XDG_DATA_HOME and
#   XDG_RUNTIME_DIR in a temp dir, so it never touches (or attaches to) the user's real keyring, and
#   everything is deleted afterwards.
# - The unlock password is random, fed on stdin, never printed, never exported.
# - Inside, VAULTMCP_SECRET_SERVICE=1 is set (tests may check it).
# Needs: dbus-run-session and dbus-send (Debian: dbus), gnome-keyring-daemon (gnome-keyring).
# dbus-daemon may print "Failed to set fd limit to 65536: Operation not permitted" in containers: harmless.
# Editing: bash reads a running script as it goes, so replace this file atomically (write + rename).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

if [ -z "${VAULTMCP_KEYRING_SESSION:-}" ]; then
  for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "with-keyring: $tool not found (Debian: apt-get install dbus gnome-keyring)" >&2
      exit 127
    fi
  done
  export VAULTMCP_KEYRING_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi

# --- inside the private session bus ---
tmp="$(mktemp -d "${TMPDIR:-/tmp}/vaultmcp-keyring.XXXXXX")"
mkdir -m 0700 "$tmp/data" "$tmp/run"
kpid=""
cleanup() {
  if [ -n "$kpid" ]; then
    kill "$kpid" 2>/dev/null || true
    wait "$kpid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The password only exists in this shell's memory and the daemon's stdin pipe.
password="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$password" |
  XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run" \
    gnome-keyring-daemon --foreground --unlock --components=secrets >"$tmp/daemon.log" 2>&1 &
kpid=$!
unset password

has_secret_service() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
for _ in $(seq 1 100); do
  has_secret_service && break
  if ! kill -0 "$kpid" 2>/dev/null; then break; fi
  sleep 0.05
done
if ! has_secret_service; then
  echo "with-keyring: gnome-keyring-daemon did not provide org.freedesktop.secrets:" >&2
  sed 's/^/  /' "$tmp/daemon.log" >&2 || true
  exit 1
fi

export VAULTMCP_SECRET_SERVICE=1
status=0
"$@" || status=$?
exit "$status"
