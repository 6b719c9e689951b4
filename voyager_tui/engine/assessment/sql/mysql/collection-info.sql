-- csv: collection-info.csv
-- reads: (server functions only)
-- about: what was collected, from where and when: layout version, server version, the first database (db_name)
-- about: and all of them (schemas), time (UTC), collector, IOPS window
SELECT 'layout_version' AS `key`, @vt_layout_version AS `value`
UNION ALL SELECT 'source_db_type', 'mysql'
UNION ALL SELECT 'source_db_version', VERSION()
UNION ALL SELECT 'db_name', SUBSTRING_INDEX(@vt_schemas, ',', 1)
UNION ALL SELECT 'schemas', REPLACE(@vt_schemas, ',', '|')
UNION ALL SELECT 'collected_at', DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%dT%H:%i:%sZ')
UNION ALL SELECT 'collector', @vt_collector
UNION ALL SELECT 'iops_interval_seconds', @vt_iops_interval
UNION ALL SELECT 'pg_stat_statements', 'not_applicable'
