-- csv: table-statistics.csv
-- reads: pg_namespace, pg_class, pg_inherits, pg_attribute, pg_constraint, pg_stat_user_tables, pg_depend
-- about: per table, partition and materialized view: estimated rows (planner statistics, else the live-row
-- about: counter), on-disk size with TOAST (without indexes), column count, partition parent, primary key present
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'm' THEN 'materialized view'
                      WHEN 'f' THEN 'foreign table' END AS object_type,
       CASE WHEN c.relkind IN ('p', 'f') THEN NULL
            WHEN c.reltuples > 0 THEN c.reltuples::bigint
            ELSE st.n_live_tup END AS row_count,
       CASE WHEN c.relkind IN ('r', 'm') THEN pg_table_size(c.oid) END AS size_bytes,
       (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
           AS column_count,
       (SELECT CASE WHEN pn.oid = n.oid THEN p.relname ELSE pn.nspname || '.' || p.relname END
        FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
        WHERE i.inhrelid = c.oid AND c.relispartition) AS parent_table,
       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')::text AS has_primary_key
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
WHERE n.nspname = ANY (string_to_array(current_setting('voyager_tui.schemas'), '|'))
  AND c.relkind IN ('r', 'p', 'm', 'f')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2
