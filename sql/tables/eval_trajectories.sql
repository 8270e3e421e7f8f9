-- eval_trajectories: one row per evaluated problem (docs/design.md §5); a table inside warehouse.duckdb.
-- One greedy episode per problem (the multi-turn protocol of rollout); an evaluation's rows are
-- replaced as a whole when it is written again (drift_core/evaluate.py store_eval).
-- key: eval_id, prompt_id
-- scope: eval_id = $eval_id
create table if not exists eval_trajectories (
    eval_id         varchar not null,                -- one evaluation: model x prompt set x settings
    model           varchar not null,                -- evaluated model dir or hub id
    dataset         varchar not null,                -- prompt set label: tiny-world-test, math500, ...
    prompt_id       varchar not null,
    question        varchar not null,
    gold            varchar not null,
    messages        struct(role varchar, content varchar)[] not null,
    num_turns       integer not null,                -- assistant turns taken
    max_turns       integer not null,                -- K of the protocol
    t_star          integer,                         -- first correct turn, NULL if never correct
    format_penalty  double not null,                 -- sum of per-turn format penalties (<= 0)
    answer_norms    varchar[] not null,              -- normalised parsed answers, in order
    temperature     double not null,                 -- 0 = greedy
    created_at      timestamp not null default current_timestamp,
    primary key (eval_id, prompt_id)
);
