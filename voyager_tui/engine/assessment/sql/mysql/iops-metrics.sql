-- csv: iops-metrics.csv
-- reads: information_schema.TABLES, performance_schema.table_io_waits_summary_by_table
-- about: one sample of the I/O counters per table (rows fetched as reads, rows inserted + updated + deleted as
-- about: writes), taken twice the IOPS window apart; empty counters when performance_schema is off
SELECT t.TABLE_SCHEMA AS schema_name,
       t.TABLE_NAME AS object_name,
       'table' AS object_type,
       @vt_measurement AS measurement,
       io.COUNT_FETCH AS seq_reads,
       io.COUNT_INSERT + io.COUNT_UPDATE + io.COUNT_DELETE AS row_writes,
       DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%fZ') AS measured_at
FROM information_schema.TABLES t
LEFT JOIN performance_schema.table_io_waits_summary_by_table io
       ON io.OBJECT_TYPE = 'TABLE' AND io.OBJECT_SCHEMA = t.TABLE_SCHEMA AND io.OBJECT_NAME = t.TABLE_NAME
WHERE FIND_IN_SET(t.TABLE_SCHEMA, @vt_schemas) > 0 AND t.TABLE_TYPE = 'BASE TABLE'
