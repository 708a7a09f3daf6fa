#!/usr/bin/env bash
# nginx: master + one worker serving static files, a few GETs (small, large, 404, directory
# index), then a graceful stop (SIGQUIT).
source "$(dirname "$0")/lib.sh"
PORT=18080
mkdir -p "$WORK/tmp"
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 64; }
http {
    access_log $WORK/access.log;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
    server {
        listen 127.0.0.1:$PORT;
        root $WORK/www;
        autoindex on;
    }
}
CONF
"${STRACE[@]}" /usr/sbin/nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/error.log" &
s=$!
wait_port $PORT
for p in / /index.html /big.txt /missing /dir/ /dir/file.txt; do http_get $PORT "$p"; done
stop_traced "$s" QUIT
