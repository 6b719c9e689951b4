-- csv: query-stats.csv
-- reads: performance_schema.events_statements_summary_by_digest
-- about: statement statistics per normalized statement (digest) run with one of the chosen databases as default
-- about: database; times in ms (the server counts picoseconds); empty when performance_schema is off
SELECT d.DIGEST AS queryid,
       d.DIGEST_TEXT AS query,
       d.COUNT_STAR AS calls,
       ROUND(d.SUM_TIMER_WAIT / 1000000000, 3) AS total_exec_time_ms,
       ROUND(d.AVG_TIMER_WAIT / 1000000000, 3) AS mean_exec_time_ms,
       d.SUM_ROWS_SENT + d.SUM_ROWS_AFFECTED AS `rows`
FROM performance_schema.events_statements_summary_by_digest d
WHERE FIND_IN_SET(d.SCHEMA_NAME, @vt_schemas) > 0 AND d.DIGEST_TEXT IS NOT NULL
