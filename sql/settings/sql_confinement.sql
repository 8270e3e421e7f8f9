-- `drift sql`'s confined connection (drift_core/readonly.py), set after its shard views were pointed
-- at Arrow datasets: no extension is installed or loaded, no secret is stored, DuckDB opens no file
-- (COPY, EXPORT, ATTACH, read_csv, glob, Python variables: all refused) and nothing here can be SET
-- back. Params: $temp_directory (spill files: a private directory outside the workspace).
set temp_directory = $temp_directory;
set autoinstall_known_extensions = false;
set autoload_known_extensions = false;
set allow_community_extensions = false;
set allow_persistent_secrets = false;
set enable_external_access = false;
set lock_configuration = true;
