-- prompt_groups: the (run, prompt) pairs of the selected runs that have no group_key yet, with the next
-- free keys. Appended (sql/tables/prompt_groups.sql: scope append): existing keys never change, so
-- weightings computed earlier keep pointing at their rows. Params: $run_ids varchar[].
with pairs as (
    select distinct run_id, prompt_id
    from trajectories
    where list_contains($run_ids, run_id)
),

new_pairs as (
    select p.*
    from pairs p
    anti join prompt_groups g using (run_id, prompt_id)
),

final as (
    select
        ((select coalesce(max(group_key), 0) from prompt_groups)
            + row_number() over (order by run_id, prompt_id))::integer as group_key,
        run_id,
        prompt_id
    from new_pairs
)

select * from final;
