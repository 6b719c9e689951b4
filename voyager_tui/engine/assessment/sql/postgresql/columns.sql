-- csv: columns.csv
-- reads: pg_namespace, pg_class, pg_attribute, pg_type, pg_depend
-- about: per column of every table, view and materialized view: declared type (arrays as type[]; types outside
-- about: pg_catalog by bare name with their schema in type_schema), nullability
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       a.attname AS column_name,
       a.attnum AS ordinal,
       CASE WHEN bt.typnamespace = 'pg_catalog'::regnamespace THEN format_type(a.atttypid, a.atttypmod)
            ELSE bt.typname || CASE WHEN bt.oid <> t.oid THEN '[]' ELSE '' END
       END AS data_type,
       CASE WHEN bt.typnamespace <> 'pg_catalog'::regnamespace THEN btn.nspname END AS type_schema,
       (NOT a.attnotnull)::text AS is_nullable
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type bt ON bt.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN t.typelem ELSE t.oid END
JOIN pg_namespace btn ON btn.oid = bt.typnamespace
WHERE n.nspname = ANY (string_to_array(current_setting('voyager_tui.schemas'), '|'))
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND a.attnum > 0
  AND NOT a.attisdropped
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2, 4
