-- Bound DuckDB's memory and let it spill to disk (large runs must fit a small machine).
-- Params: $memory_limit (e.g. '1GB'), $temp_directory (a directory DuckDB may write spill files to).
set memory_limit = $memory_limit;
set temp_directory = $temp_directory;
