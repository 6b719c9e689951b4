-- csv: query-stats.csv
-- reads: pg_stat_statements, pg_database
-- about: statement statistics of this database from the pg_stat_statements extension, summed over users; query
-- about: texts are normalized (constants replaced by $1, $2, ...); this collection's own queries are left out
SELECT q.queryid,
       q.query,
       sum(q.calls) AS calls,
       round(sum(q.total_ms)::numeric, 3) AS total_exec_time_ms,
       round((sum(q.total_ms) / nullif(sum(q.calls), 0))::numeric, 3) AS mean_exec_time_ms,
       sum(q.rows) AS rows
FROM (
    -- total_exec_time since pg_stat_statements 1.8 (PostgreSQL 13), total_time before
    SELECT s.queryid::text AS queryid, s.query, s.calls, s.rows,
           coalesce(to_jsonb(s) ->> 'total_exec_time', to_jsonb(s) ->> 'total_time')::float8 AS total_ms
    FROM pg_stat_statements s
    WHERE s.dbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
      AND s.query <> '<insufficient privilege>'
      AND s.query NOT LIKE '%voyager-tui:assessment%'
      -- psql's ON_ERROR_ROLLBACK (the collection scripts, or anyone's interactive session) is not the application
      AND s.query NOT LIKE '% pg_psql_temporary_savepoint'
) q
GROUP BY q.queryid, q.query
ORDER BY sum(q.calls) DESC, q.queryid, q.query
