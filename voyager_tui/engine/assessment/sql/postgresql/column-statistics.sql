-- csv: column-statistics.csv
-- reads: pg_stats, pg_namespace, pg_class
-- about: optimizer statistics per column (from the last ANALYZE): fraction of NULLs, number of distinct values
-- about: (as an absolute estimate) and the frequency of the most common value; pg_stats shows only the columns
-- about: of tables the user may read
SELECT s.schemaname AS schema_name,
       s.tablename AS table_name,
       s.attname AS column_name,
       s.null_frac,
       CASE WHEN s.n_distinct >= 0 THEN s.n_distinct::float8
            ELSE round(-s.n_distinct::float8 * greatest(c.reltuples, 0)::float8) END AS n_distinct,
       s.most_common_freqs[1] AS most_common_freq
FROM pg_stats s
JOIN pg_namespace n ON n.nspname = s.schemaname
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
WHERE s.schemaname = ANY (string_to_array(current_setting('voyager_tui.schemas'), '|'))
  AND c.relkind IN ('r', 'p', 'm')
  -- an inheritance parent has a second row for the whole tree; a partitioned table has only that one
  AND (NOT s.inherited OR c.relkind = 'p')
ORDER BY 1, 2, 3
