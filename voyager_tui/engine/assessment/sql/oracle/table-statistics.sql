-- csv: table-statistics.csv
-- reads: DBA_TABLES, DBA_MVIEWS, DBA_SEGMENTS, DBA_LOBS, DBA_TAB_COLUMNS, DBA_CONSTRAINTS
-- about: per table and materialized view: rows from the optimizer statistics (NUM_ROWS, as of the last
-- about: DBMS_STATS run), allocated size of its table and LOB segments (all partitions), column count, primary
-- about: key present; a partitioned table is one row
SELECT t.owner AS "schema_name",
       t.table_name AS "table_name",
       CASE WHEN m.mview_name IS NOT NULL THEN 'materialized view' ELSE 'table' END AS "object_type",
       t.num_rows AS "row_count",
       (SELECT SUM(s.bytes) FROM &seg_view s
        WHERE s.owner = t.owner
          AND (s.segment_name = t.table_name
               OR s.segment_name IN (SELECT l.segment_name FROM &dict._lobs l
                                     WHERE l.owner = t.owner AND l.table_name = t.table_name))) AS "size_bytes",
       (SELECT COUNT(*) FROM &dict._tab_columns c
        WHERE c.owner = t.owner AND c.table_name = t.table_name) AS "column_count",
       NULL AS "parent_table",
       CASE WHEN EXISTS (SELECT 1 FROM &dict._constraints k
                         WHERE k.owner = t.owner AND k.table_name = t.table_name AND k.constraint_type = 'P')
            THEN 'true' ELSE 'false' END AS "has_primary_key"
FROM &dict._tables t
LEFT JOIN &dict._mviews m ON m.owner = t.owner AND m.mview_name = t.table_name
WHERE INSTR('|' || '&schemas' || '|', '|' || t.owner || '|') > 0
  AND t.table_name NOT LIKE 'BIN$%'
  AND t.nested = 'NO'
  AND t.secondary = 'N'
  AND (t.iot_type IS NULL OR t.iot_type = 'IOT')
