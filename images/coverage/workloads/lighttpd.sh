#!/usr/bin/env bash
# lighttpd: Debian's default modules, static files and a directory listing, then SIGTERM.
source "$(dirname "$0")/lib.sh"
PORT=18081
cat > "$WORK/lighttpd.conf" <<CONF
server.modules = ( "mod_indexfile", "mod_access", "mod_alias", "mod_redirect", "mod_dirlisting" )
server.document-root = "$WORK/www"
server.port = $PORT
server.bind = "127.0.0.1"
server.errorlog = "$WORK/lighttpd-error.log"
server.pid-file = "$WORK/lighttpd.pid"
index-file.names = ( "index.html" )
dir-listing.activate = "enable"
CONF
"${STRACE[@]}" /usr/sbin/lighttpd -D -f "$WORK/lighttpd.conf" &
s=$!
wait_port $PORT
for p in / /index.html /big.txt /missing /dir/ /dir/file.txt; do http_get $PORT "$p"; done
stop_traced "$s" TERM
