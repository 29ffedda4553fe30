SELECT 1 + 2 * 3, 7 / 2, 7 % 3, -5, 1.5e3, 'a' || 'b', NULL IS NULL, 3 BETWEEN 1 AND 5;
SELECT CASE WHEN 1 > 2 THEN 'x' WHEN 2 > 1 THEN 'y' ELSE 'z' END, CASE 3 WHEN 3 THEN 'three' END;
SELECT CAST('12' AS INT), CAST(3.7 AS BIGINT), CAST(1 AS TEXT), CAST('x' AS BLOB), CAST(1 AS BOOLEAN);
SELECT 'abc' LIKE 'a%', 'abc' NOT LIKE '_x_', 'a_c' LIKE 'a!_c' ESCAPE '!';
SELECT 1 / 0, 9223372036854775807 + 1, -9223372036854775808 - 1, 1.0 / 0;
SELECT 2 IN (1, 2, 3), 5 NOT IN (1, NULL), NULL = NULL, TRUE AND NULL, FALSE OR NULL;
SELECT abs(-3), length('hello'), upper('a'), lower('B'), substr('hello', 2, 3), coalesce(NULL, 4);
SELECT ?, ?, ?, ?, ?;
