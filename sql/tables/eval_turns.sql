-- eval_turns: one row per assistant turn of an evaluated problem; a table inside warehouse.duckdb.
-- key: eval_id, prompt_id, turn
-- depends: eval_trajectories
-- scope: eval_id = $eval_id
create table if not exists eval_turns (
    eval_id           varchar not null,
    prompt_id         varchar not null,
    turn              integer not null,   -- 1-based
    response          varchar not null,   -- raw generated text, prefill included
    answer            varchar,            -- parsed answer, NULL when unparseable
    answer_norm       varchar not null,   -- normalised answer ('' when unparseable)
    correct           boolean not null,
    format_ok         boolean not null,
    completion_tokens integer not null,
    primary key (eval_id, prompt_id, turn)
);
