-- csv: schema-objects.csv
-- reads: DBA_OBJECTS, DBA_TABLES, DBA_INDEXES, DBA_VIEWS, DBA_TRIGGERS, DBA_MVIEWS, DBA_TAB_PARTITIONS
-- about: every table, partition, view, materialized view, index, sequence, function, procedure, package, trigger,
-- about: type and synonym of the chosen schemas (recycle-bin, nested and secondary objects left out); a view's
-- about: details is its text (first 4000 characters)
SELECT o.owner AS "schema_name",
       o.object_name AS "object_name",
       LOWER(o.object_type) AS "object_type",
       CASE o.object_type WHEN 'INDEX' THEN i.table_name WHEN 'TRIGGER' THEN g.table_name END AS "parent_name",
       CASE o.object_type
           WHEN 'TABLE' THEN CASE WHEN t.partitioned = 'YES' THEN 'partitioned' END
                             || CASE WHEN t.temporary = 'Y' THEN ' global temporary' END
                             || CASE WHEN t.iot_type = 'IOT' THEN ' index-organized' END
           WHEN 'INDEX' THEN LOWER(i.index_type) || CASE WHEN i.uniqueness = 'UNIQUE' THEN ', unique' END
           WHEN 'VIEW' THEN v.text_vc
           WHEN 'TRIGGER' THEN g.trigger_type || ' ' || g.triggering_event
       END AS "details"
FROM &dict._objects o
LEFT JOIN &dict._tables t ON o.object_type = 'TABLE' AND t.owner = o.owner AND t.table_name = o.object_name
LEFT JOIN &dict._indexes i ON o.object_type = 'INDEX' AND i.owner = o.owner AND i.index_name = o.object_name
LEFT JOIN &dict._views v ON o.object_type = 'VIEW' AND v.owner = o.owner AND v.view_name = o.object_name
LEFT JOIN &dict._triggers g ON o.object_type = 'TRIGGER' AND g.owner = o.owner AND g.trigger_name = o.object_name
WHERE INSTR('|' || '&schemas' || '|', '|' || o.owner || '|') > 0
  AND o.object_type IN ('TABLE', 'VIEW', 'MATERIALIZED VIEW', 'INDEX', 'SEQUENCE', 'FUNCTION', 'PROCEDURE',
                        'PACKAGE', 'TRIGGER', 'TYPE', 'SYNONYM')
  AND o.object_name NOT LIKE 'BIN$%'
  AND o.secondary = 'N'
  AND (t.nested IS NULL OR t.nested = 'NO')
  AND (t.iot_type IS NULL OR t.iot_type = 'IOT')
  AND NOT (o.object_type = 'TABLE'
           AND EXISTS (SELECT 1 FROM &dict._mviews m WHERE m.owner = o.owner AND m.mview_name = o.object_name))
UNION ALL
SELECT p.table_owner, p.partition_name, 'partition', p.table_name, 'position ' || p.partition_position
FROM &dict._tab_partitions p
WHERE INSTR('|' || '&schemas' || '|', '|' || p.table_owner || '|') > 0
  AND p.table_name NOT LIKE 'BIN$%'
