-- csv: iops-metrics.csv
-- reads: DBA_TABLES, DBA_INDEXES, V$SEGMENT_STATISTICS
-- about: one sample of the segment counters per table: 'segment scans' of the table and its indexes as reads,
-- about: 'db block changes' of the table as writes (blocks, not rows); taken twice the IOPS window apart
SELECT t.owner AS "schema_name",
       t.table_name AS "object_name",
       'table' AS "object_type",
       '&measurement' AS "measurement",
       (SELECT SUM(ss.value) FROM &segstat_view ss
        WHERE ss.owner = t.owner AND ss.statistic_name = 'segment scans'
          AND (ss.object_name = t.table_name
               OR ss.object_name IN (SELECT x.index_name FROM &dict._indexes x
                                     WHERE x.table_owner = t.owner AND x.table_name = t.table_name)))
           AS "seq_reads",
       (SELECT SUM(ss.value) FROM &segstat_view ss
        WHERE ss.owner = t.owner AND ss.object_name = t.table_name AND ss.statistic_name = 'db block changes')
           AS "row_writes",
       TO_CHAR(SYS_EXTRACT_UTC(SYSTIMESTAMP), 'YYYY-MM-DD"T"HH24:MI:SS.FF6"Z"') AS "measured_at"
FROM &dict._tables t
WHERE INSTR('|' || '&schemas' || '|', '|' || t.owner || '|') > 0
  AND t.table_name NOT LIKE 'BIN$%'
  AND t.nested = 'NO'
  AND t.secondary = 'N'
  AND (t.iot_type IS NULL OR t.iot_type = 'IOT')
