CREATE TABLE log (msg TEXT, n INT);
INSERT INTO log VALUES ('a', 1), ('a', 1), ('b', 2);
INSERT INTO log SELECT msg, n + 1 FROM log;
UPDATE log SET n = n * 10 WHERE msg = 'a';
DELETE FROM log WHERE n > 15;
SELECT msg, count(*), sum(n) FROM log GROUP BY msg ORDER BY 1;
