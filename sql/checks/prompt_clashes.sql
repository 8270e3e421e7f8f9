-- Check (Workspace.upsert_prompts, before writing): incoming prompts (the registered table
-- incoming_prompts) whose prompt_id is already in prompts with another question or gold. Empty = pass.
with incoming_in as (
    select prompt_id, question, gold from incoming_prompts
),

final as (
    select p.prompt_id
    from prompts p
    join incoming_in n using (prompt_id)
    where p.question <> n.question or p.gold <> n.gold
    order by p.prompt_id
    limit 3
)

select * from final;
