#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for the tests and benchmarks (no service, no system config):
#   scripts/pg.sh start DIR [--durable]   initdb in DIR, start on a free 127.0.0.1 port, print its URL
#                                          (also written to DIR/url); --durable keeps fsync on (benchmarks)
#   scripts/pg.sh stop DIR                 stop it (the caller removes DIR)
# PostgreSQL refuses to run as root: as root (CI) the cluster runs as the system user `linkage-pg`
# (created once), via runuser. The cluster's superuser is `linkage`, trusted on loopback only.
set -euo pipefail
cmd="${1:-}" dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [--durable]" >&2; exit 2; }
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bin/pg_ctl" ] || { echo "pg.sh: PostgreSQL server binaries not found (scripts/setup.sh installs them)" >&2; exit 1; }
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u linkage-pg -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    if [ "$(id -u)" = 0 ] && ! id linkage-pg >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin linkage-pg
    fi
    mkdir -p "$dir"
    home="$dir"
    if [ "$(id -u)" = 0 ]; then
      # DIR's parents may be closed to other users (mktemp -d): the cluster lives in a folder of its own.
      home="$(mktemp -d /tmp/linkage-pg.XXXXXX)"
      chown linkage-pg "$home"
    fi
    echo "$home" >"$dir/home"
    data="$home/data"
    as_owner "$bin/initdb" -D "$data" -U linkage --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$home -c max_connections=300"
    opts="$opts -c shared_buffers=128MB"
    if [ "${3:-}" != "--durable" ]; then
      # Tests: durability is not what they check, speed is welcome.
      opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    as_owner "$bin/pg_ctl" -D "$data" -l "$home/server.log" -o "$opts" -w -t 60 start >/dev/null \
      || { cat "$home/server.log" >&2; exit 1; }
    url="postgres://linkage@127.0.0.1:$port/postgres"
    echo "$url" >"$dir/url"
    echo "$url"
    ;;
  stop)
    home="$(cat "$dir/home" 2>/dev/null || echo "$dir")"
    [ -d "$home/data" ] && as_owner "$bin/pg_ctl" -D "$home/data" -m fast -w stop >/dev/null || true
    [ "$home" != "$dir" ] && case "$home" in /tmp/linkage-pg.*) rm -rf "$home" ;; esac
    ;;
  *) echo "usage: $0 start|stop DIR [--durable]" >&2; exit 2 ;;
esac
