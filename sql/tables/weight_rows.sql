-- weight_rows: the weight of each trajectory in one weighting, keyed by integers only (the strings
-- live in returns / prompt_groups; read the `weights` view). Built by sql/weight_rows.sql.
-- key: weighting_id, group_key, sample_idx
-- depends: weightings, returns
-- scope: weighting_id from weightings
create table if not exists weight_rows (
    weighting_id  integer not null,
    group_key     integer not null,
    sample_idx    integer not null,
    weight        double not null,    -- >= 0; per-prompt mean 1 for drift
    solved        boolean not null    -- returns.solved, copied so that weight_groups sums without a join
);

-- weight_rows written before `solved` existed (their weightings' groups are already summed).
alter table weight_rows add column if not exists solved boolean;
