-- weight_groups: one row per prompt group in one weighting: its size, how concentrated its weights
-- are, and where its weight mass sits (weight_diagnostics sums these; the weights view derives the
-- success rate from solved_trajectories / group_size). Built by sql/weight_groups.sql.
-- key: weighting_id, group_key
-- depends: weightings, weight_rows
-- scope: weighting_id from weightings
create table if not exists weight_groups (
    weighting_id         integer not null,
    group_key            integer not null,
    group_size           integer not null,  -- trajectories of this prompt in the run
    group_ess            double not null,   -- (sum w)^2 / sum w^2 over the group; 0 if all w = 0
    solved_trajectories  integer not null,
    weight_sum           double not null,
    solved_weight_sum    double not null,   -- sum of w over the solved trajectories
    max_weight           double not null,
    zero_weights         integer not null   -- trajectories with w = 0
);
