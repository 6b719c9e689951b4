-- csv: collection-notes.csv
-- reads: pg_namespace, pg_extension, pg_class, pg_stat_user_tables
-- about: what the collection skipped or could not read, and why: missing schemas, steps that failed (with the
-- about: server's message), pg_stat_statements not installed or limited, counters switched off, tables never analyzed
SELECT n.step, n.severity, n.message
FROM (
    SELECT 1 AS ord, 'schemas' AS step, 'warning' AS severity,
           'schema ' || s.name || ' does not exist in database ' || current_database() AS message
    FROM unnest(string_to_array(current_setting('voyager_tui.schemas'), '|')) AS s(name)
    WHERE NOT EXISTS (SELECT 1 FROM pg_namespace ns WHERE ns.nspname = s.name)
    UNION ALL
    -- a step that failed left its message (SQLSTATE first) in a session setting voyager_tui.error_<step>
    SELECT 2, f.step, 'warning',
           f.file || ' could not be read: ' || substr(f.error, 7) || ' (SQLSTATE ' || left(f.error, 5)
           || '); the file holds only its header'
    FROM (SELECT v.step, v.file,
                 nullif(current_setting('voyager_tui.error_' || replace(v.step, '-', '_'), true), '') AS error
          FROM (VALUES ('iops-initial', 'iops-metrics.csv'), ('schema-objects', 'schema-objects.csv'),
                       ('table-statistics', 'table-statistics.csv'), ('index-info', 'index-info.csv'),
                       ('columns', 'columns.csv'), ('constraints', 'constraints.csv'),
                       ('column-statistics', 'column-statistics.csv'), ('query-stats', 'query-stats.csv'),
                       ('iops-final', 'iops-metrics.csv')) AS v(step, file)) f
    WHERE f.error IS NOT NULL
    UNION ALL
    SELECT 3, 'query-stats', 'warning',
           'pg_stat_statements is not installed in database ' || current_database()
           || ': query-stats.csv is empty and the application''s queries are not assessed (add pg_stat_statements '
           || 'to shared_preload_libraries, restart, CREATE EXTENSION pg_stat_statements, let the application run)'
    WHERE NOT EXISTS (SELECT 1 FROM pg_extension x WHERE x.extname = 'pg_stat_statements')
    UNION ALL
    SELECT 4, 'query-stats', 'info',
           'the collecting user lacks pg_read_all_stats: statements of other users are hidden in pg_stat_statements'
    WHERE EXISTS (SELECT 1 FROM pg_extension x WHERE x.extname = 'pg_stat_statements')
      AND NOT pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')
    UNION ALL
    SELECT 5, 'iops', 'warning',
           'track_counts is off: the activity counters do not move, so reads/s and writes/s read as zero'
    WHERE NOT current_setting('track_counts')::boolean
    UNION ALL
    SELECT 6, 'table-statistics', 'info',
           count(*) || ' table(s) were never analyzed: their row counts come from the live-row counter and '
           || 'column-statistics.csv has no rows for them'
    FROM pg_stat_user_tables st
    JOIN pg_class c ON c.oid = st.relid
    WHERE st.schemaname = ANY (string_to_array(current_setting('voyager_tui.schemas'), '|'))
      AND c.relkind IN ('r', 'm')
      AND st.last_analyze IS NULL AND st.last_autoanalyze IS NULL
    HAVING count(*) > 0
) AS n
ORDER BY n.ord, n.step, n.message
