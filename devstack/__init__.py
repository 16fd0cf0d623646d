"""Development helpers, not shipped in the package: find or start a PostgreSQL (the
embedded `pgserver` one as a last resort) and Debian's PgBouncer in transaction mode, for
`make demo`, `make serve`, the tests and the benchmarks."""
