#!/usr/bin/env bash
# weborf: static files and a directory listing, then SIGTERM.
source "$(dirname "$0")/lib.sh"
PORT=18083
"${STRACE[@]}" /usr/bin/weborf -p $PORT -i 127.0.0.1 -b "$WORK/www/" -m &
s=$!
wait_port $PORT
for p in / /index.html /big.txt /missing /dir/ /dir/file.txt; do http_get $PORT "$p"; done
stop_traced "$s" TERM
