#!/usr/bin/env bash
# webfsd: foreground, static files and a directory listing, then SIGTERM.
source "$(dirname "$0")/lib.sh"
PORT=18082
"${STRACE[@]}" /usr/bin/webfsd -F -4 -p $PORT -i 127.0.0.1 -r "$WORK/www" -f index.html &
s=$!
wait_port $PORT
for p in / /index.html /big.txt /missing /dir/ /dir/file.txt; do http_get $PORT "$p"; done
stop_traced "$s" TERM
