-- csv: columns.csv
-- reads: information_schema.COLUMNS
-- about: per column of every table and view: the declared type (COLUMN_TYPE, e.g. int(11) unsigned,
-- about: enum('a','b')) and nullability
SELECT c.TABLE_SCHEMA AS schema_name,
       c.TABLE_NAME AS table_name,
       c.COLUMN_NAME AS column_name,
       c.ORDINAL_POSITION AS ordinal,
       c.COLUMN_TYPE AS data_type,
       NULL AS type_schema,
       IF(c.IS_NULLABLE = 'YES', 'true', 'false') AS is_nullable
FROM information_schema.COLUMNS c
WHERE FIND_IN_SET(c.TABLE_SCHEMA, @vt_schemas) > 0
