-- csv: iops-metrics.csv
-- reads: pg_stat_user_tables, pg_class, pg_depend
-- about: one sample of the activity counters per table: scans (sequential + index) as reads, inserted + updated +
-- about: deleted rows as writes; taken twice, the IOPS window apart
SELECT st.schemaname AS schema_name,
       st.relname AS object_name,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'm' THEN 'materialized view'
       END AS object_type,
       st.seq_scan + coalesce(st.idx_scan, 0) AS seq_reads,
       st.n_tup_ins + st.n_tup_upd + st.n_tup_del AS row_writes,
       to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS measured_at
FROM pg_stat_user_tables st
JOIN pg_class c ON c.oid = st.relid
WHERE st.schemaname = ANY (string_to_array(current_setting('voyager_tui.schemas'), '|'))
  AND c.relkind IN ('r', 'p', 'm')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
