#!/usr/bin/env bash
# postgresql: initdb (not traced), then the server under strace as the postgres user on a
# Unix socket and a loopback port: CREATE TABLE, INSERT, an index, SELECTs, UPDATE, VACUUM
# from psql, then a fast shutdown (SIGINT).
source "$(dirname "$0")/lib.sh"
BIN=/usr/lib/postgresql/15/bin
PORT=15432
id postgres >/dev/null
mkdir -p "$WORK/pg" && chown postgres "$WORK" "$WORK/pg"
runuser -u postgres -- "$BIN/initdb" -A trust -D "$WORK/pg/data" >/dev/null
# strace runs as postgres too (it writes its file where postgres may write).
runuser -u postgres -- strace -f -qq -o "$WORK/pg/trace" "$BIN/postgres" -D "$WORK/pg/data" -k "$WORK/pg" \
    -p $PORT -c listen_addresses=127.0.0.1 -c logging_collector=off &
s=$!
wait_port $PORT
q() { psql -X -q -h 127.0.0.1 -p $PORT -U postgres -d postgres -c "$1"; }
q "CREATE TABLE t (id serial PRIMARY KEY, name text, n int)"
q "INSERT INTO t (name, n) SELECT 'name' || g, g % 97 FROM generate_series(1, 5000) g"
q "CREATE INDEX t_n ON t (n)"
q "SELECT count(*), sum(n) FROM t WHERE n < 10"
q "UPDATE t SET n = n + 1 WHERE id % 10 = 0"
q "VACUUM ANALYZE t"
q "SELECT name FROM t ORDER BY n DESC, id LIMIT 3"
kill -INT "$(head -1 "$WORK/pg/data/postmaster.pid")"    # the postmaster: fast shutdown
wait "$s" || true
cp "$WORK/pg/trace" "$TRACE"
