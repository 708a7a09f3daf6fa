#!/usr/bin/env bash
# sqlite3: a database file: tables, an index, a transaction, a join, WAL mode, VACUUM.
source "$(dirname "$0")/lib.sh"
cat > "$WORK/script.sql" <<'SQL'
PRAGMA journal_mode=WAL;
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, n INTEGER);
CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INTEGER, note TEXT);
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<2000)
INSERT INTO t(name, n) SELECT 'name' || x, x*7 % 113 FROM c;
INSERT INTO u(t_id, note) SELECT id, 'note ' || id FROM t WHERE n % 3 = 0;
COMMIT;
CREATE INDEX t_n ON t(n);
SELECT count(*), sum(n) FROM t;
SELECT t.name, u.note FROM t JOIN u ON u.t_id = t.id WHERE t.n < 5 ORDER BY t.id LIMIT 5;
UPDATE t SET n = n + 1 WHERE id % 10 = 0;
DELETE FROM u WHERE id % 2 = 0;
PRAGMA wal_checkpoint(TRUNCATE);
VACUUM;
PRAGMA integrity_check;
SQL
"${STRACE[@]}" /usr/bin/sqlite3 "$WORK/test.db" < "$WORK/script.sql"
