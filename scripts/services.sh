#!/usr/bin/env bash
# Make the services the test suite needs available: a local PostgreSQL that accepts
# user postgres on 127.0.0.1:5432 without a password (trust). Idempotent: on a machine
# where that already works it changes nothing.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

pg_works() {
    psql -h 127.0.0.1 -p 5432 -U postgres -w -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1
}

installed_now=0
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "services.sh: installing PostgreSQL"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
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
