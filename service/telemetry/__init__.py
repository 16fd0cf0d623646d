"""What the service tells its operators: JSON logs, secrets redacted from every log line,
and Prometheus metrics."""
