-- csv: schema-objects.csv
-- reads: information_schema.TABLES, information_schema.VIEWS, information_schema.STATISTICS,
-- reads: information_schema.PARTITIONS, information_schema.ROUTINES, information_schema.TRIGGERS,
-- reads: information_schema.EVENTS
-- about: every table, view, sequence (MariaDB), index, partition, function, procedure, trigger and event of the
-- about: chosen databases; a view's details is its definition
SELECT t.TABLE_SCHEMA AS schema_name,
       t.TABLE_NAME AS object_name,
       CASE t.TABLE_TYPE WHEN 'VIEW' THEN 'view' WHEN 'SEQUENCE' THEN 'sequence' ELSE 'table' END AS object_type,
       NULL AS parent_name,
       CASE WHEN t.TABLE_TYPE = 'VIEW' THEN v.VIEW_DEFINITION
            ELSE CONCAT_WS('; ', CONCAT('engine ', t.ENGINE),
                           IF(t.CREATE_OPTIONS LIKE '%partitioned%', 'partitioned', NULL),
                           IF(t.TABLE_COMMENT <> '', CONCAT('comment: ', t.TABLE_COMMENT), NULL))
       END AS details
FROM information_schema.TABLES t
LEFT JOIN information_schema.VIEWS v ON v.TABLE_SCHEMA = t.TABLE_SCHEMA AND v.TABLE_NAME = t.TABLE_NAME
WHERE FIND_IN_SET(t.TABLE_SCHEMA, @vt_schemas) > 0
UNION ALL
SELECT s.TABLE_SCHEMA, s.INDEX_NAME, 'index', s.TABLE_NAME,
       CONCAT(LOWER(s.INDEX_TYPE),
              CASE WHEN s.INDEX_NAME = 'PRIMARY' THEN ', primary key' WHEN MIN(s.NON_UNIQUE) = 0 THEN ', unique'
                   ELSE '' END)
FROM information_schema.STATISTICS s
WHERE FIND_IN_SET(s.TABLE_SCHEMA, @vt_schemas) > 0
GROUP BY s.TABLE_SCHEMA, s.TABLE_NAME, s.INDEX_NAME, s.INDEX_TYPE
UNION ALL
SELECT p.TABLE_SCHEMA, p.PARTITION_NAME, 'partition', p.TABLE_NAME,
       CONCAT(p.PARTITION_METHOD, COALESCE(CONCAT(' ', p.PARTITION_DESCRIPTION), ''))
FROM information_schema.PARTITIONS p
WHERE FIND_IN_SET(p.TABLE_SCHEMA, @vt_schemas) > 0 AND p.PARTITION_NAME IS NOT NULL
  AND p.SUBPARTITION_NAME IS NULL
UNION ALL
SELECT r.ROUTINE_SCHEMA, r.ROUTINE_NAME, LOWER(r.ROUTINE_TYPE), NULL,
       CONCAT('language ', r.ROUTINE_BODY, COALESCE(CONCAT('; returns ', r.DTD_IDENTIFIER), ''))
FROM information_schema.ROUTINES r
WHERE FIND_IN_SET(r.ROUTINE_SCHEMA, @vt_schemas) > 0
UNION ALL
SELECT g.TRIGGER_SCHEMA, g.TRIGGER_NAME, 'trigger', g.EVENT_OBJECT_TABLE,
       CONCAT(g.ACTION_TIMING, ' ', g.EVENT_MANIPULATION, ' FOR EACH ', g.ACTION_ORIENTATION)
FROM information_schema.TRIGGERS g
WHERE FIND_IN_SET(g.TRIGGER_SCHEMA, @vt_schemas) > 0
UNION ALL
SELECT e.EVENT_SCHEMA, e.EVENT_NAME, 'event', NULL, CONCAT(e.EVENT_TYPE, ', ', e.STATUS)
FROM information_schema.EVENTS e
WHERE FIND_IN_SET(e.EVENT_SCHEMA, @vt_schemas) > 0
