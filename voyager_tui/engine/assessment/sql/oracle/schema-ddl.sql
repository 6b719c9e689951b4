-- csv: schema.sql
-- reads: DBA_OBJECTS, DBMS_METADATA
-- about: the DDL of every type, sequence, table, index, view, materialized view, function, procedure, package,
-- about: trigger and synonym of the chosen schemas; an object DBMS_METADATA cannot read becomes a -- comment line
WITH
  FUNCTION vt_ddl(p_type VARCHAR2, p_name VARCHAR2, p_owner VARCHAR2) RETURN CLOB IS
  BEGIN
    RETURN DBMS_METADATA.GET_DDL(p_type, p_name, p_owner);
  EXCEPTION
    WHEN OTHERS THEN
      RETURN '-- ' || p_type || ' ' || p_owner || '.' || p_name || ' skipped: ' || SQLERRM;
  END;
SELECT vt_ddl(REPLACE(o.object_type, ' ', '_'), o.object_name, o.owner) AS "ddl"
FROM &dict._objects o
WHERE INSTR('|' || '&schemas' || '|', '|' || o.owner || '|') > 0
  AND o.object_type IN ('TYPE', 'SEQUENCE', 'TABLE', 'INDEX', 'VIEW', 'MATERIALIZED VIEW', 'FUNCTION', 'PROCEDURE',
                        'PACKAGE', 'TRIGGER', 'SYNONYM')
  AND o.object_name NOT LIKE 'BIN$%'
  AND o.secondary = 'N'
  AND o.generated = 'N'
  AND NOT (o.object_type = 'TABLE'
           AND EXISTS (SELECT 1 FROM &dict._mviews m WHERE m.owner = o.owner AND m.mview_name = o.object_name))
ORDER BY DECODE(o.object_type, 'TYPE', 1, 'SEQUENCE', 2, 'TABLE', 3, 'INDEX', 4, 'VIEW', 5, 'MATERIALIZED VIEW', 6,
                'FUNCTION', 7, 'PROCEDURE', 8, 'PACKAGE', 9, 'TRIGGER', 10, 11), o.owner, o.object_name
