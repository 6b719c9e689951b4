-- csv: collection-info.csv
-- reads: pg_extension
-- about: what was collected, from where and when: layout version, server version, database, schemas, time (UTC),
-- about: collector (script or live), IOPS window, and whether pg_stat_statements could be read
SELECT v.key, v.value
FROM (VALUES
    (1, 'layout_version', current_setting('voyager_tui.layout_version')),
    (2, 'source_db_type', 'postgresql'),
    (3, 'source_db_version', current_setting('server_version')),
    (4, 'db_name', current_database()),
    (5, 'schemas', current_setting('voyager_tui.schemas')),
    (6, 'collected_at', to_char(transaction_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
    (7, 'collector', current_setting('voyager_tui.collector')),
    (8, 'iops_interval_seconds', current_setting('voyager_tui.iops_interval')),
    (9, 'pg_stat_statements',
        CASE WHEN NOT EXISTS (SELECT 1 FROM pg_extension x WHERE x.extname = 'pg_stat_statements') THEN 'missing'
             WHEN current_setting('voyager_tui.error_query_stats', true) LIKE '42501 %' THEN 'no_permission'
             WHEN coalesce(current_setting('voyager_tui.error_query_stats', true), '') <> '' THEN 'missing'
             ELSE 'available' END)
) AS v(ord, key, value)
ORDER BY v.ord
