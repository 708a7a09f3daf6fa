# Shared helpers for the workload scripts (sourced). Each workload gets TRACE (strace output
# file) and WORK (scratch dir), starts its program under `strace -f -qq -o "$TRACE"`, makes a
# few real client requests on loopback from outside the trace, and stops the program.
set -euo pipefail
: "${TRACE:?TRACE must name the strace output file}"
: "${WORK:?WORK must name a scratch directory}"
mkdir -p "$WORK"
cd "$WORK"
STRACE=(strace -f -qq -o "$TRACE")

# wait_port PORT: until something accepts TCP connections on 127.0.0.1:PORT (15 s at most).
wait_port() {
    for _ in $(seq 150); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}

# traced_child STRACE_PID: the pid of the program strace started (its only child).
traced_child() {
    local c
    for _ in $(seq 50); do
        c=$(pgrep -P "$1" | head -1 || true)
        [ -n "$c" ] && { echo "$c"; return 0; }
        sleep 0.1
    done
    return 1
}

# stop_traced STRACE_PID [SIGNAL]: signal the traced program and wait for strace to finish.
stop_traced() {
    local c
    c=$(traced_child "$1") || true
    [ -n "${c:-}" ] && kill "-${2:-TERM}" "$c" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    wait "$1" 2>/dev/null || true
}

# http_get PORT PATH: a GET with curl (not traced).
http_get() { curl -sS -o /dev/null -w "%{http_code} $2\n" "http://127.0.0.1:$1$2"; }

mkdir -p "$WORK/www/dir"
printf 'hello from the coverage workload\n' > "$WORK/www/index.html"
head -c 100000 /dev/zero | tr '\0' x > "$WORK/www/big.txt"
printf 'nested\n' > "$WORK/www/dir/file.txt"
chmod -R a+rX "$WORK"
