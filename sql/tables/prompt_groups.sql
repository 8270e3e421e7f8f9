-- prompt_groups: a small integer key per (run, prompt) group; built by sql/prompt_groups.sql when a
-- run's returns are first computed, and never changed after. returns carries it, and the weights
-- storage (weight_rows, weight_groups) is keyed by it instead of the strings: writing a weighting of
-- 1M trajectories is then integers and doubles only (see benchmarks/bench_weights.py).
-- key: group_key
-- unique: run_id, prompt_id
-- depends: trajectories
-- scope: append
create table if not exists prompt_groups (
    group_key  integer not null,
    run_id     varchar not null,
    prompt_id  varchar not null
);
