#!/usr/bin/env bash
# redis-server: SET/GET/INCR, a list, a hash, EXPIRE, a BGSAVE (forks), INFO, then SHUTDOWN.
source "$(dirname "$0")/lib.sh"
PORT=16379
"${STRACE[@]}" /usr/bin/redis-server --port $PORT --bind 127.0.0.1 --dir "$WORK" --save "" --appendonly no --daemonize no &
s=$!
wait_port $PORT
cli() { redis-cli -p $PORT "$@"; }
cli set key value; cli get key; cli incr counter; cli incrby counter 41
cli lpush list a b c; cli lrange list 0 -1
cli hset h f1 v1 f2 v2; cli hgetall h
cli set tmp x EX 100; cli ttl tmp; cli del tmp
cli bgsave; sleep 1; cli info persistence | grep rdb_last_bgsave_status
cli shutdown nosave || true
wait "$s" || true
