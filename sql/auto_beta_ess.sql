-- Mean per-prompt ESS fraction of drift weights at temperature $beta, over auto_beta_groups:
--     e_k = exp(R_k / beta - m)   for each distinct return R_k of a prompt (count c_k), m = max R_k / beta
--     ESS/n = (sum_k c_k e_k)^2 / (n * sum_k c_k e_k^2),  n = sum_k c_k
-- (the drift weights are e scaled by a per-prompt constant, which cancels in ESS/n).
-- Params: $beta double. Returns one row: mean_ess_fraction (NULL when there are no prompts).
with groups_in as (
    select group_key, "return" / $beta as s, c from auto_beta_groups
),

shifted as (
    select group_key, c, exp(s - max(s) over (partition by group_key)) as e
    from groups_in
),

per_prompt as (
    select sum(c * e) * sum(c * e) / (sum(c) * sum(c * e * e)) as ess_fraction
    from shifted
    group by group_key
),

final as (
    select avg(ess_fraction) as mean_ess_fraction from per_prompt
)

select * from final;
