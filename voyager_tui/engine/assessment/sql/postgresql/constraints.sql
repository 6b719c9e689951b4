-- csv: constraints.csv
-- reads: pg_namespace, pg_class, pg_constraint, pg_attribute, pg_depend
-- about: primary key (p), unique (u), foreign key (f), check (c) and exclusion (x) constraints with their columns,
-- about: the referenced table and columns of a foreign key, and the constraint's definition
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       k.conname AS constraint_name,
       k.contype::text AS constraint_type,
       (SELECT string_agg(a.attname::text, ', ' ORDER BY u.ord)
        FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS columns,
       rn.nspname AS ref_schema,
       rc.relname AS ref_table,
       (SELECT string_agg(a.attname::text, ', ' ORDER BY u.ord)
        FROM unnest(k.confkey) WITH ORDINALITY AS u(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum) AS ref_columns,
       pg_get_constraintdef(k.oid, true) AS definition
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = k.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE n.nspname = ANY (string_to_array(current_setting('voyager_tui.schemas'), '|'))
  AND k.contype IN ('p', 'u', 'f', 'c', 'x')
  -- a foreign key to a partitioned table has a hidden copy per referenced partition; list the key once
  AND NOT EXISTS (SELECT 1 FROM pg_constraint pk WHERE pk.oid = k.conparentid AND pk.conrelid = k.conrelid)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2, 3
