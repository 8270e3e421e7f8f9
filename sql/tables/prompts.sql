-- prompts: one row per prompt (docs/design.md §5). A real table inside warehouse.duckdb (small), loaded by
-- Workspace.upsert_prompts: a prompt written again replaces its row (same key).
-- key: prompt_id
-- scope: key
create table if not exists prompts (
    prompt_id  varchar not null primary key,  -- stable id, unique across sources
    split      varchar not null,              -- train / test / ...
    question   varchar not null,              -- the problem text shown to the model
    gold       varchar not null,              -- the reference answer, checked with math-verify
    source     varchar not null,              -- where it came from: file path, dataset name, generator
    difficulty integer,                       -- generator level, NULL when unknown
    hidden_options integer                    -- options of an item whose right one cannot be inferred from
                                              -- its text (the elimination optimum solves it by this turn);
                                              -- NULL when the text decides the answer (docs/design.md §1)
);
-- Warehouses from before hidden-option items: the column is added, NULL for their prompts.
alter table prompts add column if not exists hidden_options integer;
