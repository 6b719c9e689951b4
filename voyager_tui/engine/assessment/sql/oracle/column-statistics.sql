-- csv: column-statistics.csv
-- reads: DBA_TAB_COL_STATISTICS, DBA_TABLES
-- about: optimizer statistics per column (as of the last DBMS_STATS run): fraction of NULLs, number of distinct
-- about: values; the most common value's frequency is not collected for Oracle
SELECT s.owner AS "schema_name",
       s.table_name AS "table_name",
       s.column_name AS "column_name",
       CASE WHEN t.num_rows > 0 THEN ROUND(s.num_nulls / t.num_rows, 6) END AS "null_frac",
       s.num_distinct AS "n_distinct",
       NULL AS "most_common_freq"
FROM &dict._tab_col_statistics s
JOIN &dict._tables t ON t.owner = s.owner AND t.table_name = s.table_name
WHERE INSTR('|' || '&schemas' || '|', '|' || s.owner || '|') > 0
  AND s.table_name NOT LIKE 'BIN$%'
