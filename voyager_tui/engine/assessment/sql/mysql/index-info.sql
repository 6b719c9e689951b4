-- csv: index-info.csv
-- reads: information_schema.STATISTICS
-- about: per index: type (btree, hash, fulltext, spatial), unique, primary key, key columns (a prefix length as
-- about: col(n) in the definition only), a CREATE INDEX text rebuilt from the catalog; sizes are not collected
SELECT s.TABLE_SCHEMA AS schema_name,
       s.INDEX_NAME AS index_name,
       s.TABLE_NAME AS table_name,
       LOWER(s.INDEX_TYPE) AS index_type,
       IF(MIN(s.NON_UNIQUE) = 0, 'true', 'false') AS is_unique,
       IF(s.INDEX_NAME = 'PRIMARY', 'true', 'false') AS is_primary,
       GROUP_CONCAT(COALESCE(s.COLUMN_NAME, '(expression)') ORDER BY s.SEQ_IN_INDEX SEPARATOR ', ') AS columns,
       NULL AS size_bytes,
       CONCAT(CASE WHEN s.INDEX_NAME = 'PRIMARY' THEN 'PRIMARY KEY'
                   ELSE CONCAT('CREATE ', IF(MIN(s.NON_UNIQUE) = 0, 'UNIQUE ', ''),
                               IF(s.INDEX_TYPE IN ('FULLTEXT', 'SPATIAL'), CONCAT(s.INDEX_TYPE, ' '), ''),
                               'INDEX `', s.INDEX_NAME, '`') END,
              ' ON `', s.TABLE_SCHEMA, '`.`', s.TABLE_NAME, '` (',
              GROUP_CONCAT(CONCAT('`', COALESCE(s.COLUMN_NAME, '(expression)'), '`',
                                  COALESCE(CONCAT('(', s.SUB_PART, ')'), ''))
                           ORDER BY s.SEQ_IN_INDEX SEPARATOR ', '),
              ')') AS definition
FROM information_schema.STATISTICS s
WHERE FIND_IN_SET(s.TABLE_SCHEMA, @vt_schemas) > 0
GROUP BY s.TABLE_SCHEMA, s.TABLE_NAME, s.INDEX_NAME, s.INDEX_TYPE
