-- csv: query-stats.csv
-- reads: V$SQLAREA
-- about: statements in the shared pool parsed by the chosen schemas: SQL_ID, the first 1000 characters of the
-- about: text, executions, elapsed time in ms, rows processed (only what is still cached)
SELECT q.sql_id AS "queryid",
       q.sql_text AS "query",
       q.executions AS "calls",
       ROUND(q.elapsed_time / 1000, 3) AS "total_exec_time_ms",
       ROUND(q.elapsed_time / 1000 / NULLIF(q.executions, 0), 3) AS "mean_exec_time_ms",
       q.rows_processed AS "rows"
FROM &sqlarea_view q
WHERE INSTR('|' || '&schemas' || '|', '|' || q.parsing_schema_name || '|') > 0
