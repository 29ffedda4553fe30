CREATE TABLE a (id INT PRIMARY KEY, v TEXT);
CREATE TABLE b (id INT PRIMARY KEY, a_id INT, w DOUBLE);
INSERT INTO a VALUES (1, 'x'), (2, 'y'), (3, 'z');
INSERT INTO b VALUES (10, 1, 0.5), (11, 1, 1.5), (12, 3, 2.5), (13, NULL, 3.5);
SELECT a.v, b.w FROM a, b WHERE a.id = b.a_id ORDER BY 1, 2;
SELECT a.v, b.w FROM a JOIN b ON a.id = b.a_id WHERE b.w > 1;
SELECT a.v, b.w FROM a LEFT JOIN b ON a.id = b.a_id ORDER BY a.id;
SELECT count(*) FROM a CROSS JOIN b;
SELECT x.v FROM (SELECT * FROM a WHERE id > 1) AS x INNER JOIN b ON x.id = b.a_id;
