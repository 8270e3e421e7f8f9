-- returns: one row per trajectory and discount gamma (docs/design.md §1, §5); built by sql/returns.sql.
-- gamma is part of the key because the discounted return depends on it and several gammas coexist.
-- key: run_id, prompt_id, sample_idx, gamma
-- depends: trajectories, prompt_groups
-- scope: run_id in $run_ids, gamma = $gamma
create table if not exists returns (
    run_id             varchar not null,
    prompt_id          varchar not null,
    sample_idx         integer not null,
    gamma              double not null,
    solved             boolean not null,  -- t_star is not NULL: some turn was correct
    t_star             integer,
    num_turns          integer not null,
    discounted_return  double not null,   -- sum_t gamma^(t-1) * r_t
    format_penalty     double not null,   -- summed per-turn format penalties (<= 0)
    repeat_penalty     double not null,   -- 0.5 * (1 - distinct non-empty answers / answers)
    "return"           double not null,   -- discounted_return + format_penalty - repeat_penalty
    group_key          integer not null   -- the (run_id, prompt_id) group's key in prompt_groups
);
