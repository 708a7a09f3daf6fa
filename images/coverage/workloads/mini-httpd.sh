#!/usr/bin/env bash
# mini_httpd: in the foreground (-D), static files and a directory listing, then SIGTERM.
source "$(dirname "$0")/lib.sh"
PORT=18084
"${STRACE[@]}" /usr/sbin/mini_httpd -D -p $PORT -h 127.0.0.1 -d "$WORK/www" -u root -l "$WORK/mini_httpd.log" &
s=$!
wait_port $PORT
for p in / /index.html /big.txt /missing /dir/ /dir/file.txt; do http_get $PORT "$p"; done
stop_traced "$s" TERM
