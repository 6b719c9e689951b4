-- csv: collection-info.csv
-- reads: PRODUCT_COMPONENT_VERSION
-- about: what was collected, from where and when: layout version, server version, database (container) name,
-- about: schemas, time (UTC), collector, IOPS window
SELECT 'layout_version' AS "key", '&layout_version' AS "value" FROM dual
UNION ALL SELECT 'source_db_type', 'oracle' FROM dual
UNION ALL SELECT 'source_db_version', (SELECT MAX(p.version) FROM product_component_version p
                                       WHERE p.product LIKE 'Oracle Database%') FROM dual
UNION ALL SELECT 'db_name', SYS_CONTEXT('USERENV', 'CON_NAME') FROM dual
UNION ALL SELECT 'schemas', '&schemas' FROM dual
UNION ALL SELECT 'collected_at', TO_CHAR(SYS_EXTRACT_UTC(SYSTIMESTAMP), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM dual
UNION ALL SELECT 'collector', 'script' FROM dual
UNION ALL SELECT 'iops_interval_seconds', '&iops_interval' FROM dual
UNION ALL SELECT 'pg_stat_statements', 'not_applicable' FROM dual
