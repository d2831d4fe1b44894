-- The queries whose output is expected-rows.txt (tests/golden/README.md). Every column is text made by SQL
-- (quote(), printf()), so the sqlite3 shell (`sqlite3 -header -list`) and `stablevfs sql --mode list` print
-- the same bytes. The two big blobs are compared with the expression golden.sql stored them from.
SELECT id, quote(name) AS name, quote(price) AS price, quote(note) AS note,
       CASE WHEN length(data) > 100 THEN printf('<%d bytes>', length(data)) ELSE quote(data) END AS data
FROM item ORDER BY id;
SELECT id, typeof(data) AS type, length(data) AS bytes, CAST(substr(data, 1, 18) AS TEXT) AS head,
       CAST(substr(data, 16380, 18) AS TEXT) AS middle, CAST(substr(data, -18) AS TEXT) AS tail,
       data = (SELECT CAST(group_concat(printf('%05d;', i * 7919 % 100003), '') AS BLOB)
               FROM (WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 5499)
                     SELECT i FROM n ORDER BY i)) AS intact
FROM item WHERE id = 6;
SELECT group_concat(name, ',') AS by_name FROM (SELECT name FROM item INDEXED BY item_name ORDER BY name);
SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name;
PRAGMA auto_vacuum;
PRAGMA page_count;
PRAGMA freelist_count;
PRAGMA integrity_check;
