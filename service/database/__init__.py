"""The database: the connection pool and sessions as a caller, connecting (session URLs, TLS
checked at start-up), and the migrations shipped with the package."""
