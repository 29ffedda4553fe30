CREATE TABLE s (id BIGINT PRIMARY KEY, cat TEXT, amt DOUBLE, q INT);
INSERT INTO s VALUES (1, 'a', 1.5, 2), (2, 'a', 2.5, NULL), (3, 'b', NULL, 7), (4, 'c', -1, 0);
SELECT cat, count(*), count(amt), sum(amt), avg(q), min(cat), max(q) FROM s GROUP BY cat HAVING count(*) > 0 ORDER BY cat;
SELECT count(DISTINCT cat), sum(DISTINCT q) FROM s;
SELECT DISTINCT cat FROM s ORDER BY 1 DESC LIMIT 2 OFFSET 1;
SELECT q % 2 AS parity, count(*) FROM s GROUP BY parity;
SELECT sum(q) FROM s WHERE id > 100;
