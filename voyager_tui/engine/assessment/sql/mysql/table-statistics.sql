-- csv: table-statistics.csv
-- reads: information_schema.TABLES, information_schema.COLUMNS, information_schema.TABLE_CONSTRAINTS
-- about: per table: estimated rows (TABLE_ROWS; MySQL 8 caches it for information_schema_stats_expiry seconds),
-- about: data size (DATA_LENGTH, without indexes), column count, primary key present; a partitioned table is one
-- about: row (its partitions are not separate tables)
SELECT t.TABLE_SCHEMA AS schema_name,
       t.TABLE_NAME AS table_name,
       'table' AS object_type,
       t.TABLE_ROWS AS row_count,
       t.DATA_LENGTH AS size_bytes,
       (SELECT COUNT(*) FROM information_schema.COLUMNS c
        WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME) AS column_count,
       NULL AS parent_table,
       IF(EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS k
                  WHERE k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME
                    AND k.CONSTRAINT_TYPE = 'PRIMARY KEY'), 'true', 'false') AS has_primary_key
FROM information_schema.TABLES t
WHERE FIND_IN_SET(t.TABLE_SCHEMA, @vt_schemas) > 0 AND t.TABLE_TYPE = 'BASE TABLE'
