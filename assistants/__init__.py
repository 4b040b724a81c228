"""Keel for AI assistants: an MCP server over Keel's selectors and services."""
