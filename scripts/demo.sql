-- scripts/demo.sql — a quick start for the strata shell:
--     build/strata demo.db -f scripts/demo.sql
-- A namespace, a shared table and a regular table, some rows, and the queries people try first.

CREATE NAMESPACE IF NOT EXISTS shop;
USE shop;

CREATE SHARED TABLE IF NOT EXISTS products (
    id       BIGINT PRIMARY KEY,
    name     TEXT NOT NULL,
    category TEXT,
    price    DOUBLE
);

CREATE TABLE IF NOT EXISTS orders (
    id         BIGINT PRIMARY KEY,
    product_id BIGINT NOT NULL,
    customer   TEXT,
    qty        INT
);

INSERT INTO products VALUES
    (1, 'keyboard', 'input', 49.90),
    (2, 'mouse', 'input', 19.50),
    (3, 'monitor', 'display', 229.00),
    (4, 'webcam', 'video', 64.00),
    (5, 'headset', 'audio', 89.99);

INSERT INTO orders VALUES
    (100, 1, 'ada', 2),
    (101, 3, 'ada', 1),
    (102, 2, 'grace', 3),
    (103, 5, 'linus', 1),
    (104, 1, 'grace', 1),
    (105, 3, 'ken', 2);

-- what is in the catalog
SELECT namespace, name, kind FROM system.tables ORDER BY namespace, name;

-- a point lookup on the primary key
SELECT name, price FROM products WHERE id = 3;

-- revenue per category: a join, grouping and ordering
SELECT p.category, count(*) AS orders, sum(o.qty * p.price) AS revenue
FROM orders o, products p
WHERE o.product_id = p.id
GROUP BY p.category
ORDER BY revenue DESC;

-- customers who bought a display (a subquery)
SELECT DISTINCT customer FROM orders
WHERE product_id IN (SELECT id FROM products WHERE category = 'display')
ORDER BY customer;

-- change and delete, then look again
UPDATE products SET price = price * 0.9 WHERE category = 'input';
DELETE FROM orders WHERE customer = 'ken';
SELECT id, name, price FROM products ORDER BY id;
SELECT count(*) AS orders_left FROM orders;
