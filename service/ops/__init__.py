"""Running it: health, readiness and metrics probes, the configuration doctor, the operator
page, and graceful shutdown."""
