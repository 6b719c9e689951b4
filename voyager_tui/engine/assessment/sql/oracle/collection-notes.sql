-- csv: collection-notes.csv
-- reads: DBA_USERS
-- about: what the collection could not read, and why: missing schemas, no access to the DBA_* views,
-- about: DBA_SEGMENTS, V$SEGMENT_STATISTICS or V$SQLAREA, statistics not collected for Oracle
SELECT 'schemas' AS "step", 'warning' AS "severity",
       'schema ' || w.name || ' does not exist or is not visible to the user' AS "message"
FROM (SELECT REGEXP_SUBSTR('&schemas', '[^|]+', 1, LEVEL) AS name FROM dual
      CONNECT BY REGEXP_SUBSTR('&schemas', '[^|]+', 1, LEVEL) IS NOT NULL) w
WHERE NOT EXISTS (SELECT 1 FROM &dict._users u WHERE u.username = w.name)
UNION ALL
SELECT 'dictionary', 'warning',
       'no access to the DBA_* views: the ALL_* views were read, which list only objects the user may use '
       || '(grant SELECT_CATALOG_ROLE for a complete inventory)'
FROM dual WHERE '&dict' = 'all'
UNION ALL
SELECT 'table-statistics', 'warning',
       'no access to DBA_SEGMENTS: sizes come from USER_SEGMENTS and are empty for other schemas'
FROM dual WHERE '&seg_ok' = 'no'
UNION ALL
SELECT 'iops', 'warning',
       'no access to V$SEGMENT_STATISTICS: the activity counters are empty (reads/s and writes/s unknown)'
FROM dual WHERE '&segstat_ok' = 'no'
UNION ALL
SELECT 'query-stats', 'warning',
       'no access to V$SQLAREA: query-stats.csv is empty and the application''s statements are not assessed'
FROM dual WHERE '&sqlarea_ok' = 'no'
UNION ALL
SELECT 'column-statistics', 'info', 'most_common_freq is not collected for Oracle' FROM dual
