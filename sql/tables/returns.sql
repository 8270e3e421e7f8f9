-- returns: one row per trajectory, discount gamma and repeat-penalty scale (docs/design.md §1, §5);
-- built by sql/returns.sql. gamma and repeat_penalty_lambda (protocol.repeat_penalty_lambda) are part
-- of the key because the return depends on them and several values coexist.
-- key: run_id, prompt_id, sample_idx, gamma, repeat_penalty_lambda
-- depends: trajectories, prompt_groups
-- scope: run_id in $run_ids, gamma = $gamma, repeat_penalty_lambda = $repeat_penalty_lambda
create table if not exists returns (
    run_id             varchar not null,
    prompt_id          varchar not null,
    sample_idx         integer not null,
    gamma              double not null,
    repeat_penalty_lambda double not null, -- lambda of the repeat penalty (the reference's: 0.5)
    solved             boolean not null,  -- t_star is not NULL: some turn was correct
    t_star             integer,
    num_turns          integer not null,
    discounted_return  double not null,   -- sum_t gamma^(t-1) * r_t
    format_penalty     double not null,   -- summed per-turn format penalties (<= 0)
    repeat_penalty     double not null,   -- lambda * (1 - distinct non-empty answers / answers)
    "return"           double not null,   -- discounted_return + format_penalty - repeat_penalty
    group_key          integer not null   -- the (run_id, prompt_id) group's key in prompt_groups
);
