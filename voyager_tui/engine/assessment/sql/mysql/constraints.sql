-- csv: constraints.csv
-- reads: information_schema.TABLE_CONSTRAINTS, information_schema.KEY_COLUMN_USAGE
-- about: primary key (p), unique (u) and foreign key (f) constraints with their columns and, for a foreign key,
-- about: the referenced database, table and columns
SELECT tc.TABLE_SCHEMA AS schema_name,
       tc.TABLE_NAME AS table_name,
       tc.CONSTRAINT_NAME AS constraint_name,
       CASE tc.CONSTRAINT_TYPE WHEN 'PRIMARY KEY' THEN 'p' WHEN 'UNIQUE' THEN 'u' ELSE 'f' END AS constraint_type,
       GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ', ') AS columns,
       MAX(k.REFERENCED_TABLE_SCHEMA) AS ref_schema,
       MAX(k.REFERENCED_TABLE_NAME) AS ref_table,
       GROUP_CONCAT(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ', ') AS ref_columns,
       NULL AS definition
FROM information_schema.TABLE_CONSTRAINTS tc
JOIN information_schema.KEY_COLUMN_USAGE k
  ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND k.TABLE_NAME = tc.TABLE_NAME
 AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE FIND_IN_SET(tc.TABLE_SCHEMA, @vt_schemas) > 0
  AND tc.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')
GROUP BY tc.TABLE_SCHEMA, tc.TABLE_NAME, tc.CONSTRAINT_NAME, tc.CONSTRAINT_TYPE
