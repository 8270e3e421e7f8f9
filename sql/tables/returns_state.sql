-- returns_state: which shard files each (run, gamma, lambda)'s rows in `returns` were computed from, so a
-- second weighting of an unchanged run (another scheme or beta) reuses them. Shards are immutable
-- (written to a temp file and renamed), so their names, sizes and mtimes identify the content.
-- Built by sql/returns_state.sql; recomputing returns deletes it (stale) until it is written again.
-- key: run_id, gamma, repeat_penalty_lambda
-- depends: returns
-- scope: run_id in $run_ids, gamma = $gamma, repeat_penalty_lambda = $repeat_penalty_lambda
create table if not exists returns_state (
    run_id     varchar not null,
    gamma      double not null,
    repeat_penalty_lambda double not null,
    signature  varchar not null,  -- digest of the run's shard files (name, size, mtime)
    rows       bigint not null
);
