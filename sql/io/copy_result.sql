-- `drift sql --out FILE`: DuckDB writes the registered result (nested values included) to {path}, a
-- quoted literal (COPY takes no parameters), with the format's {options}.
copy result to {path} ({options});
