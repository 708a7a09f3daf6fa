#!/usr/bin/env bash
# curl: file:// reads and HTTP GETs against a loopback server (python's http.server, not
# traced), with a redirect to a file and a HEAD request.
source "$(dirname "$0")/lib.sh"
PORT=18085
/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$WORK/www" $PORT >/dev/null 2>&1 &
h=$!
trap 'kill $h 2>/dev/null || true' EXIT
wait_port $PORT
"${STRACE[@]}" /usr/bin/curl -sS -o /dev/null file:///etc/os-release
"${STRACE[@]}" -A /usr/bin/curl -sS -o "$WORK/out.html" "http://127.0.0.1:$PORT/index.html"
"${STRACE[@]}" -A /usr/bin/curl -sS -I "http://127.0.0.1:$PORT/big.txt"
"${STRACE[@]}" -A /usr/bin/curl -sS -o /dev/null -w "%{http_code}\n" "http://127.0.0.1:$PORT/missing"
