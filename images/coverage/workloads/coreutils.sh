#!/usr/bin/env bash
# coreutils: common commands run by a shell under strace (only processes running a coreutils
# executable count): ls, cat, sort, wc, cp, mv, rm, mkdir, stat, date, head, tail, du, df,
# chmod, ln, touch, md5sum, tr, cut, uniq, seq, env, id, uname, sleep.
source "$(dirname "$0")/lib.sh"
"${STRACE[@]}" /bin/sh -c '
cd "$WORK"
ls -la / > ls.out; ls -lR www > /dev/null; cat /etc/os-release > os.txt
seq 1 500 | sort -r | uniq | wc -l; head -3 os.txt; tail -2 os.txt
mkdir -p sub/dir; cp os.txt sub/dir/; mv sub/dir/os.txt sub/dir/moved.txt; ln -s moved.txt sub/dir/link
touch -d @0 sub/dir/moved.txt; chmod 600 sub/dir/moved.txt; stat sub/dir/moved.txt > /dev/null
du -s sub > /dev/null; df -h / > /dev/null; md5sum os.txt; cut -d= -f1 os.txt | tr a-z A-Z | head -2
date -u +%Y > /dev/null; env > /dev/null; id > /dev/null; uname -a > /dev/null; sleep 0.1
rm -r sub ls.out os.txt
'
