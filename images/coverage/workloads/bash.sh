#!/usr/bin/env bash
# bash: a script of builtins only (loops, arithmetic, redirections, a pipeline and command
# substitutions, which fork bash itself, read, cd, test).
source "$(dirname "$0")/lib.sh"
"${STRACE[@]}" /bin/bash --norc -c '
for i in 1 2 3; do x=$((i * i)); done
printf "%s\n" a b c > "$WORK/b.txt"; while read -r l; do n+=$l; done < "$WORK/b.txt"; echo "$n"
cd "$WORK" && pwd; [ -f b.txt ] && echo present
v=$(echo sub); echo "$v" | { read -r w; echo "got $w"; }
declare -A m=([k]=v); echo "${m[k]}"; echo "$RANDOM" > /dev/null; rm_me="$WORK/b.txt"; : > "$rm_me"
'
