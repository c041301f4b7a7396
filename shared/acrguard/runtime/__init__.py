"""What runs inside Function Compute: the invocation context, decision logs, config loading, the handler."""
