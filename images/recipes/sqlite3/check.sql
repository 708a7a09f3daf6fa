-- The sqlite check of issue 4: compat-tests' case apps/sqlite feeds this script to
--   sqlite3 tmp/check.db
-- natively (in a private directory) and inside Elfin (where tmp/ is the guest's /tmp) and
-- compares the two outputs. Everything printed must be deterministic: no times, no random().
-- By hand: target/apps/sqlite3/sqlite3 /tmp/check.db < images/recipes/sqlite3/check.sql
.bail on
.headers on
.mode list
.separator |
.nullvalue NULL

-- Reruns on the same file start clean.
DROP TRIGGER IF EXISTS orders_audit;
DROP TABLE IF EXISTS audit;
DROP TABLE IF EXISTS orders;
DROP TABLE IF EXISTS products;
DROP TABLE IF EXISTS customers;

CREATE TABLE customers (
  id    INTEGER PRIMARY KEY,
  name  TEXT NOT NULL,
  city  TEXT NOT NULL
);
CREATE TABLE products (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  price_cents INTEGER NOT NULL CHECK (price_cents > 0)
);
CREATE TABLE orders (
  id          INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  product_id  INTEGER NOT NULL REFERENCES products(id),
  quantity    INTEGER NOT NULL,
  note        TEXT
);
-- One more INSERT per order row, run by the trigger inside the same transaction.
CREATE TABLE audit (order_id INTEGER NOT NULL, total_cents INTEGER NOT NULL);
CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN
  INSERT INTO audit VALUES (new.id,
    new.quantity * (SELECT price_cents FROM products WHERE id = new.product_id));
END;

-- 10,000 orders (and 10,000 audit rows) in one transaction.
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO customers
  SELECT i, printf('customer-%03d', i),
         CASE i % 5 WHEN 0 THEN 'Paris' WHEN 1 THEN 'Lyon' WHEN 2 THEN 'Nantes'
                    WHEN 3 THEN 'Lille' ELSE 'Brest' END
  FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
INSERT INTO products SELECT i, printf('product-%02d', i), 100 + (i * 37) % 900 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
INSERT INTO orders
  SELECT i, (i * 7919) % 100 + 1, (i * 104729) % 50 + 1, i % 9 + 1,
         CASE WHEN i % 10 = 0 THEN NULL ELSE printf('order %05d: %s', i, hex(i * 2654435761 % 4294967296)) END
  FROM n;
COMMIT;

CREATE INDEX orders_by_customer ON orders(customer_id);
CREATE INDEX orders_by_product ON orders(product_id, quantity);

SELECT 'rows' AS what, (SELECT count(*) FROM customers) AS customers,
       (SELECT count(*) FROM products) AS products, (SELECT count(*) FROM orders) AS orders,
       (SELECT count(*) FROM audit) AS audit;

-- Aggregates.
SELECT count(*) AS n, sum(quantity) AS items, min(quantity) AS min_q, max(quantity) AS max_q,
       printf('%.4f', avg(quantity)) AS avg_q, count(note) AS with_note,
       total(length(note)) AS note_bytes
FROM orders;

-- Joins: the best customers by what they spent.
SELECT c.name, c.city, count(*) AS orders, sum(o.quantity) AS items,
       sum(o.quantity * p.price_cents) AS spent_cents
FROM orders o JOIN customers c ON c.id = o.customer_id JOIN products p ON p.id = o.product_id
GROUP BY c.id ORDER BY spent_cents DESC, c.id LIMIT 5;

-- Per city, with HAVING and a subquery.
SELECT c.city, count(DISTINCT c.id) AS customers, count(*) AS orders,
       printf('%.2f', sum(o.quantity * p.price_cents) / 100.0) AS euros
FROM orders o JOIN customers c ON c.id = o.customer_id JOIN products p ON p.id = o.product_id
GROUP BY c.city HAVING count(*) > 1000 ORDER BY c.city;

-- The trigger's audit agrees with a join.
SELECT (SELECT sum(total_cents) FROM audit) =
       (SELECT sum(o.quantity * p.price_cents) FROM orders o JOIN products p ON p.id = o.product_id)
       AS audit_matches;

-- The index is used, and gives the same answer as a full scan.
EXPLAIN QUERY PLAN SELECT count(*) FROM orders WHERE customer_id = 42;
SELECT count(*) AS by_index FROM orders WHERE customer_id = 42;
SELECT count(*) AS by_scan FROM orders NOT INDEXED WHERE customer_id = 42;

-- A LEFT JOIN with products nobody ordered in quantity 9, a window function.
SELECT p.name, count(o.id) AS nines
FROM products p LEFT JOIN orders o ON o.product_id = p.id AND o.quantity = 9
GROUP BY p.id ORDER BY nines, p.id LIMIT 3;
SELECT id, customer_id, quantity,
       sum(quantity) OVER (PARTITION BY customer_id ORDER BY id) AS running
FROM orders WHERE customer_id = 7 ORDER BY id LIMIT 4;

-- Updates and deletes in a second transaction, then a rollback that must leave no trace.
BEGIN;
UPDATE products SET price_cents = price_cents * 2 WHERE id % 10 = 0;
DELETE FROM orders WHERE quantity = 1;
COMMIT;
BEGIN;
DELETE FROM orders;
ROLLBACK;
SELECT count(*) AS orders_left, sum(quantity) AS items_left FROM orders;
SELECT sum(price_cents) AS price_sum FROM products;

-- The file is sound, and compacts.
PRAGMA integrity_check;
VACUUM;
PRAGMA integrity_check;
PRAGMA page_size;
PRAGMA page_count;
PRAGMA freelist_count;
