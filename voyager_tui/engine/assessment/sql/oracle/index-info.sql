-- csv: index-info.csv
-- reads: DBA_INDEXES, DBA_IND_COLUMNS, DBA_CONSTRAINTS, DBA_SEGMENTS
-- about: per index: type (normal, bitmap, function-based normal, domain, ...), unique, primary key, key columns
-- about: (a function-based key shows its hidden SYS_NC column), allocated size; the DDL is in schema.sql
SELECT i.owner AS "schema_name",
       i.index_name AS "index_name",
       i.table_name AS "table_name",
       LOWER(i.index_type) AS "index_type",
       CASE WHEN i.uniqueness = 'UNIQUE' THEN 'true' ELSE 'false' END AS "is_unique",
       CASE WHEN EXISTS (SELECT 1 FROM &dict._constraints k
                         WHERE k.owner = i.table_owner AND k.table_name = i.table_name
                           AND k.constraint_type = 'P' AND k.index_name = i.index_name)
            THEN 'true' ELSE 'false' END AS "is_primary",
       (SELECT LISTAGG(c.column_name, ', ') WITHIN GROUP (ORDER BY c.column_position)
        FROM &dict._ind_columns c
        WHERE c.index_owner = i.owner AND c.index_name = i.index_name) AS "columns",
       (SELECT SUM(s.bytes) FROM &seg_view s WHERE s.owner = i.owner AND s.segment_name = i.index_name)
           AS "size_bytes",
       NULL AS "definition"
FROM &dict._indexes i
WHERE INSTR('|' || '&schemas' || '|', '|' || i.owner || '|') > 0
  AND i.index_type <> 'LOB'
  AND i.index_name NOT LIKE 'BIN$%'
  AND i.table_name NOT LIKE 'BIN$%'
