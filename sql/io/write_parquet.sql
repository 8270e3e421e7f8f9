-- Write table {table} to the Parquet file {path} (a quoted literal: COPY takes no parameters).
copy {table} to {path} (format parquet, compression zstd);
