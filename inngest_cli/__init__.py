"""inngest-cli: send events to Inngest and inspect them, from a shell or CI."""

__version__ = "0.1.0"
