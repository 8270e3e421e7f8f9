-- weight_rows: the weight of each trajectory in one weighting, keyed by integers only (the strings
-- live in returns / prompt_groups; read the `weights` view). Built by sql/weights.sql.
-- Key: (weighting_id, group_key, sample_idx).
create table if not exists weight_rows (
    weighting_id  integer not null,
    group_key     integer not null,
    sample_idx    integer not null,
    weight        double not null     -- >= 0; per-prompt mean 1 for drift
);
