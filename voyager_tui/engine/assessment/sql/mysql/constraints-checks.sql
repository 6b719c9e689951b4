-- csv: constraints.csv
-- reads: information_schema.TABLE_CONSTRAINTS, information_schema.CHECK_CONSTRAINTS
-- about: check constraints (c) with their expression (MySQL 8.0.16+, MariaDB 10.2+; skipped with a note before)
SELECT tc.TABLE_SCHEMA AS schema_name,
       tc.TABLE_NAME AS table_name,
       tc.CONSTRAINT_NAME AS constraint_name,
       'c' AS constraint_type,
       NULL AS columns,
       NULL AS ref_schema,
       NULL AS ref_table,
       NULL AS ref_columns,
       cc.CHECK_CLAUSE AS definition
FROM information_schema.TABLE_CONSTRAINTS tc
JOIN information_schema.CHECK_CONSTRAINTS cc
  ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE FIND_IN_SET(tc.TABLE_SCHEMA, @vt_schemas) > 0 AND tc.CONSTRAINT_TYPE = 'CHECK'
