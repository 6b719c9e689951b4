-- csv: columns.csv
-- reads: DBA_TAB_COLUMNS
-- about: per column of every table and view: declared type with length or precision (VARCHAR2(20 CHAR),
-- about: NUMBER(10,2)), the owner of a user-defined type, nullability
SELECT c.owner AS "schema_name",
       c.table_name AS "table_name",
       c.column_name AS "column_name",
       c.column_id AS "ordinal",
       CASE WHEN c.data_type IN ('VARCHAR2', 'NVARCHAR2', 'CHAR', 'NCHAR')
                THEN c.data_type || '(' || c.char_length || CASE WHEN c.char_used = 'C' THEN ' CHAR' END || ')'
            WHEN c.data_type = 'RAW' THEN 'RAW(' || c.data_length || ')'
            WHEN c.data_type = 'NUMBER' AND c.data_precision IS NOT NULL
                THEN 'NUMBER(' || c.data_precision || ',' || c.data_scale || ')'
            WHEN c.data_type = 'NUMBER' AND c.data_scale = 0 THEN 'NUMBER(*,0)'
            ELSE c.data_type
       END AS "data_type",
       c.data_type_owner AS "type_schema",
       CASE WHEN c.nullable = 'Y' THEN 'true' ELSE 'false' END AS "is_nullable"
FROM &dict._tab_columns c
WHERE INSTR('|' || '&schemas' || '|', '|' || c.owner || '|') > 0
  AND c.table_name NOT LIKE 'BIN$%'
