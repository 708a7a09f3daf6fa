#!/usr/bin/env bash
# git: init, config, add, commit, log, diff, branch, checkout, status in a fresh repository
# (no pager, no automatic gc).
source "$(dirname "$0")/lib.sh"
export GIT_PAGER=cat GIT_AUTHOR_NAME=cov GIT_AUTHOR_EMAIL=cov@example.invalid GIT_COMMITTER_NAME=cov GIT_COMMITTER_EMAIL=cov@example.invalid HOME="$WORK"
G=(/usr/bin/git -c gc.auto=0 -c init.defaultBranch=main)
"${STRACE[@]}" "${G[@]}" init -q "$WORK/repo"
cd "$WORK/repo"
printf 'one\n' > a.txt; mkdir d; printf 'two\n' > d/b.txt
"${STRACE[@]}" -A "${G[@]}" add .
"${STRACE[@]}" -A "${G[@]}" commit -q -m first
printf 'three\n' >> a.txt
"${STRACE[@]}" -A "${G[@]}" diff --stat
"${STRACE[@]}" -A "${G[@]}" commit -q -am second
"${STRACE[@]}" -A "${G[@]}" branch topic
"${STRACE[@]}" -A "${G[@]}" checkout -q topic
"${STRACE[@]}" -A "${G[@]}" log --oneline
"${STRACE[@]}" -A "${G[@]}" status --short
