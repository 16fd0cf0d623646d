"""The database: the connection pool and sessions as a caller, which URL does what (pool
mode, session URL, TLS), and the migrations shipped with the package."""
