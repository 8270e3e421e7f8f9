-- drift-ext: drift, then (opt-in) w = 0 in prompts with no solved trajectory ($all_fail_zero), then
-- w = min(w, $weight_cap) ('infinity': no cap). A weight expression of drift_core/weight_schemes.py.
least(
    case when $all_fail_zero and group_success_rate = 0 then 0.0 else w_drift end,
    coalesce($weight_cap::double, 'infinity'::double)
)
