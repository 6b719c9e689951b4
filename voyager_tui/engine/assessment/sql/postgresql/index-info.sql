-- csv: index-info.csv
-- reads: pg_namespace, pg_class, pg_index, pg_am, pg_attribute, pg_depend
-- about: per index: access method, unique, primary key, key columns (expressions as text), size, CREATE INDEX text
SELECT n.nspname AS schema_name,
       ic.relname AS index_name,
       tc.relname AS table_name,
       am.amname AS index_type,
       x.indisunique::text AS is_unique,
       x.indisprimary::text AS is_primary,
       (SELECT string_agg(CASE WHEN x.indkey[k - 1] <> 0
                               THEN (SELECT a.attname::text FROM pg_attribute a
                                     WHERE a.attrelid = x.indrelid AND a.attnum = x.indkey[k - 1])
                               ELSE pg_get_indexdef(x.indexrelid, k, true) END,
                          ', ' ORDER BY k)
        FROM generate_series(1, x.indnkeyatts) AS k) AS columns,
       pg_relation_size(ic.oid) AS size_bytes,
       pg_get_indexdef(x.indexrelid) AS definition
FROM pg_index x
JOIN pg_class ic ON ic.oid = x.indexrelid
JOIN pg_class tc ON tc.oid = x.indrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_am am ON am.oid = ic.relam
WHERE n.nspname = ANY (string_to_array(current_setting('voyager_tui.schemas'), '|'))
  AND tc.relkind IN ('r', 'p', 'm')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = tc.oid AND d.deptype = 'e')
ORDER BY 1, 3, 2
