-- The fixed workload every golden image stores (tests/golden/README.md). make_golden.sh runs it through
-- `stablevfs sql IMAGE --raw --auto-vacuum incremental --layout L`: each statement is one update message (one
-- commit, one publish), so the image holds the layout's encoding after a sequence of grows, rewrites, frees and
-- a truncation. Every value is a literal or computed from literals (no randomblob(), no clock), so the same
-- binary writes the same bytes. Keep the statements few: layout 6 appends at least 64 KiB per commit.
-- Changing this file changes every image: regenerate them all, and expected-rows.txt, in the same commit.

-- A table with a primary key and a secondary index.
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, note TEXT, data BLOB);
CREATE INDEX item_name ON item(name);

-- Integer, text (with non-ASCII), real, blob and NULL values, and two blobs bigger than a 16 KiB page, whose
-- tails go to chains of overflow pages (33,001 bytes: two overflow pages; 18,000 bytes: one). Their bytes are
-- ASCII digits that depend on the position ("00000;07919;15838;..."), so two overflow pages swapped, or one
-- stored twice, change what the image extracts to.
INSERT INTO item(id, name, price, note, data) VALUES
  (1, 'anvil', 12.5, 'heavy', x'00ff'),
  (2, 'bolt', 0.25, NULL, x'b017'),
  (3, 'chisel', 7.125, 'sharp; handle with care', NULL),
  (4, 'drill', NULL, 'cordless', x''),
  (5, 'épée', -0.0035, 'non-ASCII: ✓', x'deadbeef'),
  (6, 'big kept', 1e100, 'two overflow pages',
   (SELECT CAST(group_concat(printf('%05d;', i * 7919 % 100003), '') AS BLOB)
    FROM (WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 5499)
          SELECT i FROM n ORDER BY i))),
  (7, 'big deleted', NULL, 'one overflow page, freed below',
   (SELECT CAST(group_concat(printf('%05d;', i * 104729 % 100003), '') AS BLOB)
    FROM (WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999)
          SELECT i FROM n ORDER BY i)));

-- An UPDATE found through the index, a DELETE through the primary key (freeing an overflow chain).
UPDATE item SET price = price * 2, note = 'doubled', data = x'0102030405' WHERE name IN ('anvil', 'drill');
DELETE FROM item WHERE id IN (3, 7);

-- Shrink the file: with auto_vacuum = incremental this moves the last pages into the freed ones and truncates,
-- so layout 8 records a zero extent past the new end and layout 6 unmaps the tail. (A DROP TABLE would free
-- pages too, but each statement is a commit and layout 6 appends at least 64 KiB per commit: the DELETE of
-- row 7 frees an overflow chain, which is what the truncation needs.)
PRAGMA incremental_vacuum;
