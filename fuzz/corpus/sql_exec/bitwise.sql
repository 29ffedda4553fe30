SELECT 12 & 10, 12 | 10, 1 << 63, 1 << 64, -16 >> 2, 8 >> -2, ~0, ~NULL, NULL & 1;
CREATE TABLE b (id BIGINT PRIMARY KEY, i INT, s TEXT);
INSERT INTO b VALUES (1, 5, 'a_b'), (2, NULL, '50%'), (3, -1, NULL);
SELECT id, i << 31, i & id, ~i FROM b WHERE s LIKE '%!%' ESCAPE '!' OR s NOT LIKE 'a\_%' ESCAPE '\';
SELECT 'x' LIKE 'x' ESCAPE 'ab';
