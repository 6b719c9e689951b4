-- csv: collection-notes.csv
-- reads: information_schema.SCHEMATA
-- about: what the collection could not read, and why: missing databases, performance_schema off (no IOPS
-- about: counters, no statement statistics), column statistics not collected for MySQL
WITH RECURSIVE wanted (name, rest) AS (
    SELECT SUBSTRING_INDEX(@vt_schemas, ',', 1),
           IF(LOCATE(',', @vt_schemas) > 0, SUBSTRING(@vt_schemas, LOCATE(',', @vt_schemas) + 1), NULL)
    UNION ALL
    SELECT SUBSTRING_INDEX(rest, ',', 1), IF(LOCATE(',', rest) > 0, SUBSTRING(rest, LOCATE(',', rest) + 1), NULL)
    FROM wanted WHERE rest IS NOT NULL
)
SELECT 'schemas' AS step, 'warning' AS severity,
       CONCAT('database ', w.name, ' does not exist (or the user has no privilege on it)') AS message
FROM wanted w
WHERE NOT EXISTS (SELECT 1 FROM information_schema.SCHEMATA s WHERE s.SCHEMA_NAME = w.name)
UNION ALL
SELECT 'iops', 'warning',
       'performance_schema is OFF: the I/O counters are empty (reads/s and writes/s unknown) and there are no '
       'statement statistics; set performance_schema=ON in the server configuration and restart to collect them'
FROM DUAL WHERE @@GLOBAL.performance_schema = 0
UNION ALL
SELECT 'column-statistics', 'info',
       'column statistics are not collected for MySQL (its histograms are optional and engine-specific)'
FROM DUAL
