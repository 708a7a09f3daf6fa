#!/usr/bin/env bash
# busybox (Debian's static build, the binary Elfin runs today): its shell running applets.
source "$(dirname "$0")/lib.sh"
"${STRACE[@]}" /bin/busybox sh -c '
cd "$WORK"
busybox ls -la / > /dev/null; busybox cat /etc/os-release > os.txt; busybox wc -l os.txt
busybox seq 1 100 | busybox sort -r | busybox head -2; busybox mkdir -p d/e; busybox cp os.txt d/e/
busybox stat d/e/os.txt > /dev/null; busybox du -s d > /dev/null; busybox md5sum os.txt
busybox date -u > /dev/null; busybox uname -a; busybox sleep 0.1; busybox rm -r d os.txt
busybox ps > /dev/null 2>&1 || true; busybox id
'
