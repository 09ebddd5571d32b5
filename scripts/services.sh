#!/usr/bin/env bash
# Make the services the test suite needs available: Debian's Chromium at /usr/bin/chromium
# (the browser tests drive it through Playwright) and a local PostgreSQL that accepts
# user postgres on 127.0.0.1:5432 without a password (trust). Idempotent: on a machine
# where that already works it changes nothing.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        as_root apt-get update
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

if [ ! -x /usr/bin/chromium ]; then
    echo "services.sh: installing Chromium (Debian package chromium) for the browser tests"
    if ! apt_install chromium || [ ! -x /usr/bin/chromium ]; then
        if [ "${CI:-}" = "true" ]; then
            echo "services.sh: CI=true and Chromium could not be installed; the browser tests need /usr/bin/chromium." >&2
            exit 1
        fi
        echo "services.sh: WARNING: Chromium could not be installed; tests/browser will fail until /usr/bin/chromium exists (apt-get install chromium)." >&2
    fi
fi

pg_works() {
    psql -h 127.0.0.1 -p 5432 -U postgres -w -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1
}

installed_now=0
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "services.sh: installing PostgreSQL"
    apt_install postgresql
    installed_now=1
fi

if ! pg_works; then
    for version in $(ls /etc/postgresql); do
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
fi

if [ "$installed_now" -eq 1 ]; then
    # A fresh install only trusts local sockets; trust postgres on 127.0.0.1 for the tests.
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
        if ! as_root grep -q '^host[[:space:]]\+all[[:space:]]\+postgres[[:space:]]\+127.0.0.1/32[[:space:]]\+trust' "$hba"; then
            as_root sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
        fi
    done
    for version in $(ls /etc/postgresql); do
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
    done
fi

for _ in $(seq 1 30); do
    if pg_works; then
        echo "services.sh: PostgreSQL is ready on 127.0.0.1:5432 (user postgres, trust)"
        exit 0
    fi
    sleep 1
done
echo "services.sh: PostgreSQL is not reachable on 127.0.0.1:5432 as user postgres." >&2
echo "Check /var/log/postgresql/ and that pg_hba.conf trusts postgres on 127.0.0.1/32." >&2
exit 1
