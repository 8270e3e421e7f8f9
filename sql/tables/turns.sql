-- turns: one row per assistant turn (docs/design.md §5); Parquet shards, exposed as a view.
-- key: run_id, prompt_id, sample_idx, turn
-- scope: append
create table turns (
    run_id            varchar not null,
    prompt_id         varchar not null,
    sample_idx        integer not null,
    turn              integer not null,   -- 1-based
    response          varchar not null,   -- raw generated text, prefill included
    answer            varchar,            -- parsed answer, NULL when unparseable
    answer_norm       varchar not null,   -- normalised answer ('' when unparseable)
    correct           boolean not null,
    reward            double not null,    -- r_t
    format_ok         boolean not null,
    format_penalty    double not null,    -- this turn's penalty (0 or the protocol's format_penalty)
    completion_tokens integer not null
);
