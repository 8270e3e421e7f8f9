-- trajectories: one row per sampled trajectory (docs/design.md §5); Parquet shards, exposed as a view.
-- key: run_id, prompt_id, sample_idx
-- scope: append
create table trajectories (
    run_id          varchar not null,
    prompt_id       varchar not null,
    sample_idx      integer not null,                -- 0 .. n-1 within the prompt
    policy          varchar not null,                -- model that generated it (path or hub id)
    gold            varchar,                         -- copied from prompts for self-contained exports
    messages        struct(role varchar, content varchar)[] not null,
    num_turns       integer not null,                -- assistant turns taken
    max_turns       integer not null,                -- K of the protocol the run used
    t_star          integer,                         -- first correct turn, NULL if never correct
    format_penalty  double not null,                 -- sum of per-turn format penalties (<= 0)
    answer_norms    varchar[] not null,              -- normalised parsed answers, in order
    turn_rewards    double[] not null,               -- r_t for t = 1..K (0 for turns not taken)
    reward_details  json,                            -- reference-format per-turn details, {"t1": {...}}
    extra           json                             -- unknown fields of imported records, kept verbatim
);
