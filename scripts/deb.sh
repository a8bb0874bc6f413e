#!/usr/bin/env bash
# Builds the Debian package and checks it on this machine, as root: lintian (no error),
# install, the unit verified and its sandbox measured, the config checked, one
# `run --once` round as the `vigie` user the way the unit starts it, then remove (data
# kept) and purge (data and user gone). CI runs it after the tests.
# Usage: bash scripts/deb.sh
#
# Which binary: CI packages the dev-profile binary that tests/package.rs builds (the one
# the integration tests run, lexicon backend: without bert), so that nearly every
# dependency the tests just compiled is reused; a cold release build of them all would not
# fit CI's time, and a plain `cargo build` would rebuild twice as many (the tests'
# dev-dependencies change their features). This checks the packaging, not the binary's
# speed. Release packages are built with plain `cargo deb` (release profile).
set -euo pipefail
cd "$(dirname "$0")/.."
export VIGIE_CACHE="${VIGIE_CACHE:-$HOME/.cache/vigie}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
CARGO_DEB_VERSION=3.8.0
start=$SECONDS
step() { echo "== deb: $* ($((SECONDS - start)) s)"; }

if [ "$(id -u)" != 0 ]; then
  echo "scripts/deb.sh installs and purges the package: run it as root (CI does)" >&2
  exit 2
fi
status=$(dpkg-query -W -f '${db:Status-Status}' vigie 2>/dev/null || true)
if [ -n "$status" ] && [ "$status" != not-installed ]; then
  if [ "${CI:-}" != "true" ]; then
    echo "vigie is already installed here; this script would purge it (and /var/lib/vigie)." >&2
    echo "Purge it yourself first (after a vigie backup) if that is what you want." >&2
    exit 2
  fi
  dpkg --purge vigie >/dev/null # a previous run's leftover
fi

step "tools"
if ! command -v lintian >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lintian >/dev/null
fi
# cargo-deb, built once into the cache (70 s on 2 idle cores) and reused by later runs;
# without its default features (no bundled xz), as the package is compressed by gzip.
tools="$VIGIE_CACHE/tools"
if [ "$("$tools/bin/cargo-deb" --version 2>/dev/null)" != "cargo-deb $CARGO_DEB_VERSION" ]; then
  cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked --force --no-default-features \
    --root "$tools" --target-dir "$tools/build"
  rm -rf "$tools/build"
fi
export PATH="$tools/bin:$PATH"

step "build (dev profile, default features) and tests/package.rs (the packaged config)"
cargo test --locked --test package
out="$CARGO_TARGET_DIR/debian"
rm -rf "$out"
# --profile dev: cargo-deb takes target/debug/vigie (and warns that dev is meant for tests);
# its full debug info is stripped, not kept aside in a -dbgsym package as a release's are.
cargo deb --no-build --profile dev --locked --no-dbgsym --no-separate-debug-symbols \
  --compress-system -Z gz -o "$out/"
deb=$(ls "$out"/vigie_*.deb)
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb"

step "lintian"
lintian --fail-on error --display-info "$deb"

step "install"
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb"
unit=/usr/lib/systemd/system/vigie.service
test -f "$unit"
test -f /usr/share/vigie/prometheus/vigie-rules.yml
test -f /usr/share/vigie/grafana/vigie-dashboard.json
test "$(stat -c '%a %U' /etc/vigie/secrets.env)" = "600 root"
test "$(stat -c '%U:%G %a' /var/lib/vigie)" = "vigie:vigie 750"
dpkg-query -W -f '${Conffiles}\n' vigie

step "systemd-analyze"
systemd-analyze verify "$unit"
systemd-analyze security --offline=true "$unit" | tail -1
# The sandbox may not get weaker unnoticed: exposure 1.1 measured (README).
systemd-analyze security --offline=true --threshold=15 "$unit" >/dev/null

step "check-config"
/usr/bin/vigie check-config /etc/vigie/vigie.toml

# As the unit starts it: user and group vigie, its working directory and umask, the
# environment systemd gives a service plus the environment file (read by root, as
# systemd does: NAME=value lines), the same arguments; --once for one round. (What
# systemd adds on top, the sandbox and sd_notify, needs systemd as PID 1; CI has none.)
as_unit() {
  local envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin HOME=/var/lib/vigie
    USER=vigie LOGNAME=vigie SHELL=/usr/sbin/nologin)
  local line
  while IFS= read -r line; do
    case "$line" in '' | '#'* | ';'*) continue ;; esac
    envs+=("$line")
  done </etc/vigie/secrets.env
  (cd /var/lib/vigie && umask 0027 && exec timeout 300 setpriv --reuid=vigie --regid=vigie \
    --init-groups --no-new-privs env -i "${envs[@]}" "$@")
}

step "one round with the installed config (its sources are out of reach offline)"
as_unit /usr/bin/vigie run --config /etc/vigie/vigie.toml --log-format json --once
test "$(stat -c '%U:%G' /var/lib/vigie/vigie.db)" = "vigie:vigie"
test -z "$(find /var/lib/vigie -perm /o=rwx)" # UMask=0027: nothing for others

step "one round with a local feed: a mention stored in /var/lib/vigie"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
install -m 644 config/demo/feeds/lesoir-fr.rss.xml "$tmp/feed.xml"
cat >"$tmp/vigie.toml" <<EOF
[institution]
name = "SPF Impôts / FOD Belastingen"
keywords = ["SPF Impôts", "FOD Belastingen", "MyTax"]

[storage]
url = "sqlite:///var/lib/vigie/vigie.db"

[fetch]
contact = "mailto:ci@example.org"

[[sources]]
name = "local"
kind = "rss"
url = "file://$tmp/feed.xml"
every = "1m"
EOF
chmod 644 "$tmp/vigie.toml"
as_unit /usr/bin/vigie run --config "$tmp/vigie.toml" --log-format json --once
mentions=$(as_unit /usr/bin/vigie mentions --config "$tmp/vigie.toml" --json | wc -l)
echo "mentions stored: $mentions"
test "$mentions" -gt 0

step "remove: the database, the config and the user stay"
dpkg -r vigie
test ! -e /usr/bin/vigie
test ! -e "$unit"
test -f /var/lib/vigie/vigie.db
test -f /etc/vigie/vigie.toml
getent passwd vigie >/dev/null

step "purge: /etc/vigie, /var/lib/vigie and the user and group are gone"
dpkg --purge vigie
test ! -e /etc/vigie
test ! -e /var/lib/vigie
if getent passwd vigie || getent group vigie; then
  echo "the vigie user or group is still there after purge" >&2
  exit 1
fi
test -z "$(find /etc/systemd/system -name 'vigie*' 2>/dev/null)"

step "done"
