"""The bus between machines: intake messages on NATS JetStream (docs/bus.md)."""
