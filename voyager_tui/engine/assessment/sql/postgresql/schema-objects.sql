-- csv: schema-objects.csv
-- reads: pg_namespace, pg_class, pg_inherits, pg_index, pg_am, pg_proc, pg_language, pg_trigger, pg_type, pg_enum, pg_extension, pg_depend
-- about: every table, partition, view, materialized view, index, sequence, function, procedure, trigger, type,
-- about: domain and extension of the chosen schemas (objects that belong to an extension are left out, as pg_dump does)
WITH sch AS (
    SELECT n.oid, n.nspname
    FROM pg_namespace n
    WHERE n.nspname = ANY (string_to_array(current_setting('voyager_tui.schemas'), '|'))
),
ext_member AS (
    SELECT d.classid, d.objid FROM pg_depend d WHERE d.deptype = 'e'
),
rel AS (
    SELECT s.nspname, c.oid, c.relname, c.relkind, c.relispartition, c.relam, c.relpartbound
    FROM pg_class c
    JOIN sch s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'i', 'I')
      AND NOT EXISTS (SELECT 1 FROM ext_member e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
)
-- tables, partitions, views, materialized views, sequences, foreign tables
SELECT r.nspname AS schema_name,
       r.relname AS object_name,
       CASE r.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'
       END AS object_type,
       CASE WHEN r.relispartition THEN
                (SELECT CASE WHEN pn.nspname = r.nspname THEN p.relname ELSE pn.nspname || '.' || p.relname END
                 FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
                 WHERE i.inhrelid = r.oid)
            WHEN r.relkind = 'S' THEN
                (SELECT t.relname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
                 WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
                   AND d.deptype IN ('a', 'i') LIMIT 1)
       END AS parent_name,
       CASE WHEN r.relkind = 'p' THEN 'partition key: ' || pg_get_partkeydef(r.oid)
            WHEN r.relispartition THEN 'partition bound: ' || pg_get_expr(r.relpartbound, r.oid)
            WHEN r.relkind IN ('v', 'm') THEN pg_get_viewdef(r.oid, true)
            WHEN r.relkind = 'S' THEN
                (SELECT 'owned by column ' || a.attname FROM pg_depend d
                 JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
                   AND d.deptype IN ('a', 'i') LIMIT 1)
       END AS details
FROM rel r
WHERE r.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
-- indexes (parent_name is the indexed table)
SELECT r.nspname, r.relname, 'index', t.relname,
       am.amname
       || CASE WHEN x.indisprimary THEN ', primary key' WHEN x.indisunique THEN ', unique' ELSE '' END
       || CASE WHEN r.relkind = 'I' THEN ', partitioned' ELSE '' END
FROM rel r
JOIN pg_index x ON x.indexrelid = r.oid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_am am ON am.oid = r.relam
WHERE r.relkind IN ('i', 'I')
UNION ALL
-- functions, procedures, aggregates, window functions
SELECT s.nspname, p.proname,
       CASE p.prokind WHEN 'f' THEN 'function' WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
                      WHEN 'w' THEN 'window function' END,
       NULL,
       'language ' || l.lanname || '; arguments (' || pg_get_function_identity_arguments(p.oid) || ')'
       || coalesce('; returns ' || pg_get_function_result(p.oid), '')
FROM pg_proc p
JOIN sch s ON s.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE NOT EXISTS (SELECT 1 FROM ext_member e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
UNION ALL
-- triggers (internal ones, such as those behind foreign keys, are left out)
SELECT r.nspname, tg.tgname, 'trigger', r.relname, pg_get_triggerdef(tg.oid, true)
FROM pg_trigger tg
JOIN rel r ON r.oid = tg.tgrelid
WHERE NOT tg.tgisinternal
UNION ALL
-- enum, composite, range and base types, and domains
SELECT s.nspname, t.typname,
       CASE WHEN t.typtype = 'd' THEN 'domain' ELSE 'type' END,
       NULL,
       CASE t.typtype
           WHEN 'd' THEN 'over ' || format_type(t.typbasetype, t.typtypmod)
           WHEN 'e' THEN 'enum: ' || (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)
                                      FROM pg_enum e WHERE e.enumtypid = t.oid)
           WHEN 'c' THEN 'composite'
           WHEN 'r' THEN 'range'
           WHEN 'b' THEN 'base'
       END
FROM pg_type t
JOIN sch s ON s.oid = t.typnamespace
WHERE t.typtype IN ('b', 'c', 'd', 'e', 'r')
  AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
  AND NOT (t.typtype = 'b' AND t.typcategory = 'A')
  AND NOT EXISTS (SELECT 1 FROM ext_member e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
UNION ALL
-- extensions of the whole database (plpgsql is always there), wherever their objects live
SELECT n.nspname, x.extname, 'extension', NULL, 'version ' || x.extversion
FROM pg_extension x
JOIN pg_namespace n ON n.oid = x.extnamespace
WHERE x.extname <> 'plpgsql'
ORDER BY 1, 3, 2, 4, 5
