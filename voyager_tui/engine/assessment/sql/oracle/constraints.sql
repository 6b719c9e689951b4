-- csv: constraints.csv
-- reads: DBA_CONSTRAINTS, DBA_CONS_COLUMNS
-- about: primary key (p), unique (u), foreign key (f) and check (c) constraints with their columns, the referenced
-- about: table and columns of a foreign key and the condition of a check (system NOT NULL checks left out)
SELECT k.owner AS "schema_name",
       k.table_name AS "table_name",
       k.constraint_name AS "constraint_name",
       CASE k.constraint_type WHEN 'P' THEN 'p' WHEN 'U' THEN 'u' WHEN 'R' THEN 'f' ELSE 'c' END
           AS "constraint_type",
       (SELECT LISTAGG(cc.column_name, ', ') WITHIN GROUP (ORDER BY cc.position)
        FROM &dict._cons_columns cc
        WHERE cc.owner = k.owner AND cc.constraint_name = k.constraint_name AND cc.table_name = k.table_name)
           AS "columns",
       r.owner AS "ref_schema",
       r.table_name AS "ref_table",
       (SELECT LISTAGG(rc.column_name, ', ') WITHIN GROUP (ORDER BY rc.position)
        FROM &dict._cons_columns rc
        WHERE rc.owner = r.owner AND rc.constraint_name = r.constraint_name) AS "ref_columns",
       CASE WHEN k.constraint_type = 'C' THEN k.search_condition_vc END AS "definition"
FROM &dict._constraints k
LEFT JOIN &dict._constraints r ON r.owner = k.r_owner AND r.constraint_name = k.r_constraint_name
WHERE INSTR('|' || '&schemas' || '|', '|' || k.owner || '|') > 0
  AND k.constraint_type IN ('P', 'U', 'R', 'C')
  AND k.table_name NOT LIKE 'BIN$%'
  AND NOT (k.constraint_type = 'C' AND k.generated = 'GENERATED NAME'
           AND k.search_condition_vc LIKE '"%" IS NOT NULL')
