#!/usr/bin/env bash
# memcached: text protocol over TCP: set, get, add, incr, append, delete, stats, then SIGTERM.
source "$(dirname "$0")/lib.sh"
PORT=11311
"${STRACE[@]}" /usr/bin/memcached -u root -l 127.0.0.1 -p $PORT -U 0 -t 2 -m 16 &
s=$!
wait_port $PORT
exec 3<>/dev/tcp/127.0.0.1/$PORT
printf 'set k 0 0 5\r\nhello\r\nget k\r\nadd n 0 0 1\r\n1\r\nincr n 41\r\nappend k 0 0 3\r\n!!!\r\nget k n\r\ndelete k\r\nstats\r\nquit\r\n' >&3
timeout 5 cat <&3 | head -20 || true
exec 3>&-
stop_traced "$s" TERM
